# lit configuration for attnc: IR tests (dialect/, passes/, codegen/) and
# tool tests (attnc/). Tools come from the build tree and LLVM 22.
import os
import lit.formats

config.name = "attnc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".test"]
config.excludes = ["integration", "unit", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.attn_obj_root, "test")

tool_dirs = [
    os.path.join(config.attn_tools_dir, "attnc"),
    os.path.join(config.attn_tools_dir, "attn-opt"),
    os.path.join(config.attn_tools_dir, "attnc-heatmap"),
    config.llvm_tools_dir,
]
config.environment["PATH"] = os.pathsep.join(
    tool_dirs + [config.environment.get("PATH", os.environ.get("PATH", ""))])
config.substitutions.append(("%attn_src", config.attn_src_root))
