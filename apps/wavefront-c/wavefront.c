/*
 * wavefront: a fine-grained pipeline (the sweeps of transport codes and of dynamic
 * programming). The ranks split the COLS columns of a ROWS x COLS grid into strips, in rank
 * order; a cell is the sum of the one above and the one to its left, modulo the prime 1000003,
 * with ones along the first row and column. Row by row, each rank waits for the last value of
 * its left neighbour's strip (one message of 8 bytes), computes its own part of the row, and
 * sends its last value to the right: ROWS - 1 messages of 8 bytes from each rank to the next
 * (row 0 is all ones), and
 * nothing else.
 *
 * Known result: cell (i, j) is the binomial coefficient C(i + j, i) modulo the prime, which the
 * last rank computes in closed form and compares with its last cell: it prints "wavefront
 * corner VALUE expected VALUE ok" (or "WRONG", and exits 1).
 *
 * usage: wavefront ROWS COLS
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define P 1000003LL

static int64_t power(int64_t b, int64_t e) {
  int64_t r = 1;
  b %= P;
  while (e > 0) {
    if (e & 1) r = r * b % P;
    b = b * b % P;
    e >>= 1;
  }
  return r;
}

/* C(n, k) mod P for n < P (Fermat inverses). */
static int64_t binomial(int64_t n, int64_t k) {
  int64_t num = 1, den = 1;
  for (int64_t i = 0; i < k; i++) {
    num = num * ((n - i) % P) % P;
    den = den * ((i + 1) % P) % P;
  }
  return num * power(den, P - 2) % P;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  long rows = argc == 3 ? atol(argv[1]) : 0, cols = argc == 3 ? atol(argv[2]) : 0;
  if (rows < 1 || cols < size || rows + cols >= P) {
    if (rank == 0) fprintf(stderr, "usage: wavefront ROWS COLS (COLS >= ranks)\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long first = cols * rank / size, last = cols * (rank + 1) / size; /* my columns */
  long width = last - first;
  int64_t *row = malloc(sizeof *row * (size_t)width);
  for (long j = 0; j < width; j++) row[j] = 1; /* row 0 */
  for (long i = 1; i < rows; i++) {
    int64_t left = 1; /* column 0 */
    if (rank > 0) MPI_Recv(&left, 1, MPI_INT64_T, rank - 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    for (long j = 0; j < width; j++) {
      if (first + j == 0) {
        row[j] = 1;
      } else {
        row[j] = (row[j] + left) % P;
      }
      left = row[j];
    }
    if (rank < size - 1) MPI_Send(&left, 1, MPI_INT64_T, rank + 1, 0, MPI_COMM_WORLD);
  }
  int status = 0;
  if (rank == size - 1) {
    int64_t expected = binomial(rows - 1 + cols - 1, rows - 1);
    int64_t got = row[width - 1];
    printf("wavefront corner %lld expected %lld %s\n", (long long)got, (long long)expected,
           got == expected ? "ok" : "WRONG");
    status = got == expected ? 0 : 1;
  }
  free(row);
  MPI_Finalize();
  return status;
}
