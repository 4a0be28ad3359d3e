/*===- npy.h - Minimal NumPy .npy reader/writer for the examples --*- C -*-===*
 *
 * Reads and writes version 1.0/2.0/3.0 .npy files holding little-endian
 * float32 ('<f4'), float64 ('<f8') or bool ('|b1') arrays in C order. The
 * format is specified in numpy/lib/format.py ("NEP 1"). No Debian package
 * offers a C reader, and the format is a 10-line header plus raw data, so
 * the examples carry this one (header-only, static functions).
 *
 *===----------------------------------------------------------------------===*/
#ifndef ATTN_EXAMPLES_NPY_H
#define ATTN_EXAMPLES_NPY_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_RANK 8

typedef struct npy_array {
  char dtype[8];   /* "<f4", "<f8", "<i4", "<i8" or "|b1" */
  size_t elem_size;
  int rank;
  int64_t shape[NPY_MAX_RANK];
  size_t count;    /* number of elements */
  void *data;      /* malloc'ed, 64-byte aligned */
} npy_array;

/* Reads `path` into `a`. Returns 0, or -1 with a message in `err`. */
static int npy_read(const char *path, npy_array *a, char *err, size_t errlen) {
  memset(a, 0, sizeof(*a));
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "cannot open %s", path);
    return -1;
  }
  unsigned char pre[10];
  if (fread(pre, 1, 8, f) != 8 || memcmp(pre, "\x93NUMPY", 6) != 0) {
    snprintf(err, errlen, "%s: not a .npy file", path);
    fclose(f);
    return -1;
  }
  uint32_t hlen;
  if (pre[6] == 1) {
    unsigned char b[2];
    if (fread(b, 1, 2, f) != 2) goto truncated;
    hlen = (uint32_t)b[0] | ((uint32_t)b[1] << 8);
  } else {
    unsigned char b[4];
    if (fread(b, 1, 4, f) != 4) goto truncated;
    hlen = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
           ((uint32_t)b[3] << 24);
  }
  {
    char *h = (char *)malloc(hlen + 1);
    if (!h || fread(h, 1, hlen, f) != hlen) {
      free(h);
      goto truncated;
    }
    h[hlen] = '\0';
    const char *d = strstr(h, "'descr':");
    const char *fo = strstr(h, "'fortran_order':");
    const char *s = strstr(h, "'shape':");
    if (!d || !fo || !s || sscanf(d, "'descr': '%7[^']'", a->dtype) != 1) {
      snprintf(err, errlen, "%s: malformed header", path);
      free(h);
      fclose(f);
      return -1;
    }
    if (strncmp(fo + 16, " True", 5) == 0) {
      snprintf(err, errlen, "%s: Fortran order is not supported", path);
      free(h);
      fclose(f);
      return -1;
    }
    if (strcmp(a->dtype, "<f4") == 0) a->elem_size = 4;
    else if (strcmp(a->dtype, "<f8") == 0) a->elem_size = 8;
    else if (strcmp(a->dtype, "|b1") == 0) a->elem_size = 1;
    else if (strcmp(a->dtype, "<i4") == 0) a->elem_size = 4;
    else if (strcmp(a->dtype, "<i8") == 0) a->elem_size = 8;
    else {
      snprintf(err, errlen, "%s: unsupported dtype %s", path, a->dtype);
      free(h);
      fclose(f);
      return -1;
    }
    const char *p = strchr(s, '(');
    a->count = 1;
    while (p && *p && *p != ')') {
      ++p;
      while (*p == ' ') ++p;
      if (*p == ')') break;
      if (a->rank == NPY_MAX_RANK) {
        snprintf(err, errlen, "%s: rank above %d", path, NPY_MAX_RANK);
        free(h);
        fclose(f);
        return -1;
      }
      char *end;
      long long v = strtoll(p, &end, 10);
      if (end == p) break;
      a->shape[a->rank++] = v;
      a->count *= (size_t)v;
      p = end;
      while (*p == ' ') ++p;
    }
    free(h);
  }
  a->data = aligned_alloc(64, ((a->count * a->elem_size) + 63) / 64 * 64 + 64);
  if (!a->data) {
    snprintf(err, errlen, "%s: out of memory", path);
    fclose(f);
    return -1;
  }
  if (fread(a->data, a->elem_size, a->count, f) != a->count) goto truncated;
  fclose(f);
  return 0;
truncated:
  snprintf(err, errlen, "%s: truncated", path);
  free(a->data);
  a->data = NULL;
  fclose(f);
  return -1;
}

static void npy_free(npy_array *a) {
  free(a->data);
  a->data = NULL;
}

#endif /* ATTN_EXAMPLES_NPY_H */
