/*
 * alltoall: every rank sends every other rank one message of BYTES bytes per round, for ROUNDS
 * rounds (the exchange of FFT transposes and sorts), written with MPI_Isend/MPI_Irecv to each
 * peer rather than MPI_Alltoall, whose algorithm (Bruck, pairwise, ...) would route messages
 * through other ranks: its matrix is exactly ROUNDS messages and ROUNDS x BYTES bytes from each
 * rank to each other one. No other message is sent.
 *
 * Known result: every byte a rank receives says who sent it and in which round; each rank
 * checks all of them, and rank 0 prints "alltoall ok ROUNDS BYTES" when its own are right and
 * exits non-zero otherwise (any rank that finds a wrong byte calls MPI_Abort).
 *
 * usage: alltoall ROUNDS BYTES
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static unsigned char mark(int from, int to, long round, long i) {
  return (unsigned char)(from * 31 + to * 7 + round * 3 + i);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 3 || atol(argv[1]) < 1 || atol(argv[2]) < 1) {
    if (rank == 0) fprintf(stderr, "usage: alltoall ROUNDS BYTES\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long rounds = atol(argv[1]), bytes = atol(argv[2]);
  unsigned char *out = malloc((size_t)(bytes * size)), *in = malloc((size_t)(bytes * size));
  MPI_Request *req = malloc(sizeof *req * 2 * (size_t)size);
  for (long r = 0; r < rounds; r++) {
    int n = 0;
    for (int p = 0; p < size; p++) {
      if (p == rank) continue;
      for (long i = 0; i < bytes; i++) out[p * bytes + i] = mark(rank, p, r, i);
      MPI_Irecv(in + p * bytes, (int)bytes, MPI_BYTE, p, 0, MPI_COMM_WORLD, &req[n++]);
    }
    for (int k = 1; k < size; k++) {
      int p = (rank + k) % size; /* a different first peer for each rank */
      MPI_Isend(out + p * bytes, (int)bytes, MPI_BYTE, p, 0, MPI_COMM_WORLD, &req[n++]);
    }
    MPI_Waitall(n, req, MPI_STATUSES_IGNORE);
    for (int p = 0; p < size; p++) {
      if (p == rank) continue;
      for (long i = 0; i < bytes; i++)
        if (in[p * bytes + i] != mark(p, rank, r, i)) {
          fprintf(stderr, "alltoall: rank %d: wrong byte %ld from rank %d in round %ld\n", rank,
                  i, p, r);
          MPI_Abort(MPI_COMM_WORLD, 3);
        }
    }
  }
  if (rank == 0) printf("alltoall ok %ld %ld\n", rounds, bytes);
  free(out);
  free(in);
  free(req);
  MPI_Finalize();
  return 0;
}
