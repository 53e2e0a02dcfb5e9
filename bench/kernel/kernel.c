/*
 * The reference for bench kernel: the advection step of assembly/advect.ts in C (same layout,
 * same in-place descending sweep, same arithmetic), compiled by the bench with
 * gcc -O3 -march=native. Usage: kernel N REPEATS; prints one JSON line per repeat with the
 * million cell updates per second of one step on an N^3 block.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static void step(double *u, int nx, int ny, int nz, double cx, double cy, double cz) {
  const double c0 = 1.0 - cx - cy - cz;
  const long sy = nz + 1, sx = (long)(ny + 1) * sy;
  for (int x = nx; x >= 1; x--)
    for (int y = ny; y >= 1; y--) {
      double *row = u + x * sx + y * sy;
      const double *west = row - sx, *south = row - sy;
      for (int z = nz; z >= 1; z--)
        row[z] = c0 * row[z] + cx * west[z] + cy * south[z] + cz * row[z - 1];
    }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kernel N REPEATS\n");
    return 2;
  }
  int n = atoi(argv[1]), repeats = atoi(argv[2]);
  long cells = (long)(n + 1) * (n + 1) * (n + 1);
  double *u = malloc(cells * sizeof(double));
  if (!u) return 1;
  for (long i = 0; i < cells; i++) u[i] = (double)(i % 1000) / 1000.0;
  step(u, n, n, n, 0.3, 0.3, 0.3); /* touch every page once */
  for (int r = 0; r < repeats; r++) {
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    step(u, n, n, n, 0.3, 0.3, 0.3);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (b.tv_sec - a.tv_sec) + (b.tv_nsec - a.tv_nsec) * 1e-9;
    printf("{\"mcups\":%.3f,\"check\":%.17g}\n", (double)n * n * n / s / 1e6, u[cells / 2]);
    fflush(stdout);
  }
  free(u);
  return 0;
}
