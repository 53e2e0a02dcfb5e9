/*
 * halo2d: a 2D periodic diffusion stencil on a PX x PY grid of ranks, the pattern of most
 * structured-grid codes. Each rank holds an (NX/PX) x (NY/PY) block and, every iteration,
 * sends one message to each of its four neighbours (left, right, up, down; with PX or PY of 2,
 * left and right are the same rank, which then gets two): a column of NY/PY doubles left and
 * right, a row of NX/PX doubles up and down. At the end every rank but 0 sends its block's sum
 * (one double) to rank 0. Only point-to-point messages, so its matrix is exactly that.
 *
 * Known result: the explicit diffusion step conserves the field's sum on a periodic grid, so
 * rank 0 prints the initial sum (computed in closed form) and the final one, which agree to
 * rounding: "halo2d sum INITIAL FINAL conserved|LOST".
 *
 * usage: halo2d NX NY PX PY ITERS
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double initial(long i, long j) { return (double)((i * 7 + j * 13) % 17); }

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (argc != 6) {
    if (rank == 0) fprintf(stderr, "usage: halo2d NX NY PX PY ITERS\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long nx = atol(argv[1]), ny = atol(argv[2]);
  int px = atoi(argv[3]), py = atoi(argv[4]);
  long iters = atol(argv[5]);
  if (px < 1 || py < 1 || px * py != size || nx % px || ny % py || iters < 0) {
    if (rank == 0) fprintf(stderr, "halo2d: PX*PY must be the rank count and divide NX, NY\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  int cx = rank % px, cy = rank / px;
  long bx = nx / px, by = ny / py; /* block: bx columns, by rows */
  int left = cy * px + (cx + px - 1) % px, right = cy * px + (cx + 1) % px;
  int up = ((cy + py - 1) % py) * px + cx, down = ((cy + 1) % py) * px + cx;
  long w = bx + 2;
  double *u = calloc((size_t)(w * (by + 2)), sizeof *u);
  double *v = calloc((size_t)(w * (by + 2)), sizeof *v);
  double *sendl = malloc(by * sizeof *sendl), *sendr = malloc(by * sizeof *sendr);
  double *recvl = malloc(by * sizeof *recvl), *recvr = malloc(by * sizeof *recvr);
#define U(a, i, j) a[(j) * w + (i)]
  for (long j = 0; j < by; j++)
    for (long i = 0; i < bx; i++) U(u, i + 1, j + 1) = initial(cx * bx + i, cy * by + j);
  const double k = 0.2;
  for (long t = 0; t < iters; t++) {
    MPI_Request req[8];
    for (long j = 0; j < by; j++) {
      sendl[j] = U(u, 1, j + 1);
      sendr[j] = U(u, bx, j + 1);
    }
    /* Tags say which side a message fills, so that two messages to one rank cannot cross. */
    MPI_Irecv(recvl, (int)by, MPI_DOUBLE, left, 1, MPI_COMM_WORLD, &req[0]);
    MPI_Irecv(recvr, (int)by, MPI_DOUBLE, right, 0, MPI_COMM_WORLD, &req[1]);
    MPI_Irecv(&U(u, 1, 0), (int)bx, MPI_DOUBLE, up, 3, MPI_COMM_WORLD, &req[2]);
    MPI_Irecv(&U(u, 1, by + 1), (int)bx, MPI_DOUBLE, down, 2, MPI_COMM_WORLD, &req[3]);
    MPI_Isend(sendl, (int)by, MPI_DOUBLE, left, 0, MPI_COMM_WORLD, &req[4]);
    MPI_Isend(sendr, (int)by, MPI_DOUBLE, right, 1, MPI_COMM_WORLD, &req[5]);
    MPI_Isend(&U(u, 1, 1), (int)bx, MPI_DOUBLE, up, 2, MPI_COMM_WORLD, &req[6]);
    MPI_Isend(&U(u, 1, by), (int)bx, MPI_DOUBLE, down, 3, MPI_COMM_WORLD, &req[7]);
    MPI_Waitall(8, req, MPI_STATUSES_IGNORE);
    for (long j = 0; j < by; j++) {
      U(u, 0, j + 1) = recvl[j];
      U(u, bx + 1, j + 1) = recvr[j];
    }
    for (long j = 1; j <= by; j++)
      for (long i = 1; i <= bx; i++)
        U(v, i, j) = U(u, i, j) + k * (U(u, i - 1, j) + U(u, i + 1, j) + U(u, i, j - 1) +
                                       U(u, i, j + 1) - 4 * U(u, i, j));
    double *swap = u;
    u = v;
    v = swap;
  }
  double sum = 0;
  for (long j = 1; j <= by; j++)
    for (long i = 1; i <= bx; i++) sum += U(u, i, j);
  if (rank != 0) {
    MPI_Send(&sum, 1, MPI_DOUBLE, 0, 9, MPI_COMM_WORLD);
  } else {
    for (int r = 1; r < size; r++) {
      double part;
      MPI_Recv(&part, 1, MPI_DOUBLE, r, 9, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
      sum += part;
    }
    double start = 0;
    for (long j = 0; j < ny; j++)
      for (long i = 0; i < nx; i++) start += initial(i, j);
    int ok = fabs(sum - start) <= 1e-9 * fabs(start) + 1e-9;
    printf("halo2d sum %.6f %.6f %s\n", start, sum, ok ? "conserved" : "LOST");
  }
  free(u);
  free(v);
  free(sendl);
  free(sendr);
  free(recvl);
  free(recvr);
  MPI_Finalize();
  return 0;
}
