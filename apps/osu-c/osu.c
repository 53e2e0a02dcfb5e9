/*
 * OSU-style point-to-point benchmarks with MPI, the reference for bench osu-tcp and osu-local.
 * The same tests as src/bench/osu-rank.ts does on the vmpath runtime:
 *   latency: ping-pong between ranks 0 and 1, half the round trip, per size
 *   bw:      rank 0 posts a window of 64 nonblocking sends, rank 1 64 receives, then a 4-byte
 *            ack; bandwidth = bytes sent / time, per size
 * Usage: osu latency|bw MIN_BYTES MAX_BYTES   (sizes double from MIN to MAX)
 * Iterations per size are fewer than OSU's defaults, to keep a bench run short.
 * Rank 0 prints one JSON line per size: {"test":..,"bytes":..,"value":..,"unit":"us"|"MiB/s"}.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WINDOW 64

/* Iterations (and warm-up iterations) per size: the same in src/bench/osu-rank.ts. */
static int latency_iters(long bytes) { return bytes <= 8192 ? 2000 : bytes <= 262144 ? 200 : 50; }
static int bw_iters(long bytes) { return bytes <= 8192 ? 50 : bytes <= 262144 ? 20 : 5; }

static void latency(int rank, char *buf, long bytes) {
  int iters = latency_iters(bytes), skip = iters / 10;
  double start = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  for (int i = 0; i < iters + skip; i++) {
    if (i == skip) start = MPI_Wtime();
    if (rank == 0) {
      MPI_Send(buf, (int)bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD);
      MPI_Recv(buf, (int)bytes, MPI_CHAR, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      MPI_Recv(buf, (int)bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      MPI_Send(buf, (int)bytes, MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    }
  }
  double us = (MPI_Wtime() - start) * 1e6 / (2.0 * iters);
  if (rank == 0)
    printf("{\"test\":\"latency\",\"bytes\":%ld,\"value\":%.3f,\"unit\":\"us\"}\n", bytes, us);
}

static void bandwidth(int rank, char *buf, long bytes) {
  int iters = bw_iters(bytes), skip = iters / 5;
  MPI_Request req[WINDOW];
  char ack[4] = {0};
  double start = 0;
  MPI_Barrier(MPI_COMM_WORLD);
  for (int i = 0; i < iters + skip; i++) {
    if (i == skip) start = MPI_Wtime();
    if (rank == 0) {
      for (int w = 0; w < WINDOW; w++)
        MPI_Isend(buf, (int)bytes, MPI_CHAR, 1, 100, MPI_COMM_WORLD, &req[w]);
      MPI_Waitall(WINDOW, req, MPI_STATUSES_IGNORE);
      MPI_Recv(ack, 4, MPI_CHAR, 1, 101, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    } else {
      for (int w = 0; w < WINDOW; w++)
        MPI_Irecv(buf, (int)bytes, MPI_CHAR, 0, 100, MPI_COMM_WORLD, &req[w]);
      MPI_Waitall(WINDOW, req, MPI_STATUSES_IGNORE);
      MPI_Send(ack, 4, MPI_CHAR, 0, 101, MPI_COMM_WORLD);
    }
  }
  double seconds = MPI_Wtime() - start;
  if (rank == 0)
    printf("{\"test\":\"bw\",\"bytes\":%ld,\"value\":%.3f,\"unit\":\"MiB/s\"}\n", bytes,
           (double)bytes * WINDOW * iters / seconds / (1024.0 * 1024.0));
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 4 || size != 2 || (strcmp(argv[1], "latency") && strcmp(argv[1], "bw"))) {
    if (rank == 0) fprintf(stderr, "usage: mpirun -np 2 osu latency|bw MIN_BYTES MAX_BYTES\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long min = atol(argv[2]), max = atol(argv[3]);
  char *buf = malloc((size_t)max);
  memset(buf, rank + 1, (size_t)max);
  for (long bytes = min; bytes <= max; bytes *= 2) {
    if (argv[1][0] == 'l') latency(rank, buf, bytes);
    else bandwidth(rank, buf, bytes);
    fflush(stdout);
  }
  free(buf);
  MPI_Finalize();
  return 0;
}
