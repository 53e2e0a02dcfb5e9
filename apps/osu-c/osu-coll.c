/*
 * OSU-style collective benchmarks with MPI (as osu_barrier, osu_bcast, osu_allreduce), the
 * reference for bench osu-collectives. The same tests as src/bench/osu-coll-rank.ts does on the
 * vmpath runtime, on any number of ranks:
 *   barrier:   MPI_Barrier, once (bytes 0)
 *   bcast:     MPI_Bcast of BYTES chars from rank 0, per size
 *   allreduce: MPI_Allreduce of BYTES/8 doubles with MPI_SUM, per size
 * Per size, after a barrier: `skip` untimed then `iters` timed calls back to back (OSU puts a
 * barrier after each timed call; here a bcast's root runs ahead down its tree, in both twins
 * alike). The figure is the mean over ranks of each rank's mean time per call (as OSU's "Avg
 * Latency"), with the slowest rank's, and the mean over ranks of each one's CPU time per call
 * (user and system, all its threads).
 * Usage: osu-coll TEST[,TEST...] MIN_BYTES MAX_BYTES   (sizes double from MIN to MAX)
 * Iterations per size are fewer than OSU's defaults, to keep a bench run short.
 * Rank 0 prints one JSON line per test and size:
 *   {"test":..,"bytes":..,"value":<mean us>,"max":<slowest rank's us>,"cpu":<mean CPU us>,
 *    "ranks":..,"unit":"us"}
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* Iterations per size: the same in src/bench/osu-coll-rank.ts. */
static int iters_of(long bytes) { return bytes <= 8192 ? 200 : bytes <= 131072 ? 50 : 20; }

/* CPU seconds of this process so far, user and system, all its threads. */
static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

static void report(const char *test, long bytes, double seconds, double cpu, int iters, int rank,
                   int size) {
  double us[2] = {seconds * 1e6 / iters, cpu * 1e6 / iters}, sum[2] = {0, 0}, max = 0;
  MPI_Reduce(us, sum, 2, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
  MPI_Reduce(us, &max, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
  if (rank == 0)
    printf("{\"test\":\"%s\",\"bytes\":%ld,\"value\":%.3f,\"max\":%.3f,\"cpu\":%.3f,\"ranks\":%d,"
           "\"unit\":\"us\"}\n",
           test, bytes, sum[0] / size, max, sum[1] / size, size);
  fflush(stdout);
}

static void run(const char *test, long bytes, char *buf, double *in, double *out, int rank,
                int size) {
  int iters = iters_of(bytes), skip = iters / 10;
  double start = 0, cpu = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  for (int i = 0; i < iters + skip; i++) {
    if (i == skip) {
      start = MPI_Wtime();
      cpu = cpu_seconds();
    }
    if (test[0] == 'b' && test[1] == 'a') MPI_Barrier(MPI_COMM_WORLD);
    else if (test[0] == 'b') MPI_Bcast(buf, (int)bytes, MPI_CHAR, 0, MPI_COMM_WORLD);
    else MPI_Allreduce(in, out, (int)(bytes / 8), MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  }
  double seconds = MPI_Wtime() - start;
  report(test, bytes, seconds, cpu_seconds() - cpu, iters, rank, size);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long min = argc == 4 ? atol(argv[2]) : 0, max = argc == 4 ? atol(argv[3]) : 0;
  if (argc != 4 || min < 8 || max < min) {
    if (rank == 0) fprintf(stderr, "usage: osu-coll barrier|bcast|allreduce[,...] MIN_BYTES MAX_BYTES (MIN >= 8)\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  char *buf = malloc((size_t)max);
  double *in = malloc((size_t)max), *out = malloc((size_t)max);
  memset(buf, rank + 1, (size_t)max);
  for (long i = 0; i < max / 8; i++) in[i] = rank + i;
  char *tests = strdup(argv[1]);
  for (char *test = strtok(tests, ","); test; test = strtok(NULL, ",")) {
    if (strcmp(test, "barrier") && strcmp(test, "bcast") && strcmp(test, "allreduce")) {
      if (rank == 0) fprintf(stderr, "osu-coll: unknown test %s (barrier, bcast, allreduce)\n", test);
      MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (test[0] == 'b' && test[1] == 'a') run(test, 0, buf, in, out, rank, size);
    else
      for (long bytes = min; bytes <= max; bytes *= 2) run(test, bytes, buf, in, out, rank, size);
  }
  free(tests);
  free(buf);
  free(in);
  free(out);
  MPI_Finalize();
  return 0;
}
