/*
 * vmpath's clock for any MPI program (vmpath run mpi): a PMPI interposition library, preloaded
 * into every rank, that notes when MPI_Init returns and when MPI_Finalize is entered, so that a
 * run's time can leave out Open MPI's start-up and tear-down. Each rank writes one line,
 * "INIT_DONE FINALIZE_START" in seconds of CLOCK_MONOTONIC (one clock for the whole machine), to
 * $VMPATH_MPI_CLOCK_DIR/clock.RANK. C and Fortran (mpif.h and mpi module) entry points both.
 */
#include <fcntl.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double init_done = -1;

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void started(void) {
  if (init_done < 0) init_done = now();
}

static void finishing(void) {
  double at = now();
  const char *dir = getenv("VMPATH_MPI_CLOCK_DIR");
  int rank = -1;
  if (!dir || init_done < 0) return;
  PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
  char path[4096];
  snprintf(path, sizeof path, "%s/clock.%d", dir, rank);
  /* A new file only, never through a link: the folder is vmpath's, but a rank runs as root. */
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0644);
  if (fd < 0) return;
  FILE *f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return;
  }
  fprintf(f, "%.9f %.9f\n", init_done, at);
  fclose(f);
  init_done = -2; /* written once */
}

int MPI_Init(int *argc, char ***argv) {
  int rc = PMPI_Init(argc, argv);
  started();
  return rc;
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided) {
  int rc = PMPI_Init_thread(argc, argv, required, provided);
  started();
  return rc;
}

int MPI_Finalize(void) {
  finishing();
  return PMPI_Finalize();
}

/* Fortran: present only when the program links Open MPI's Fortran bindings. */
extern void pmpi_init_(MPI_Fint *ierr) __attribute__((weak));
extern void pmpi_init_thread_(MPI_Fint *required, MPI_Fint *provided, MPI_Fint *ierr)
    __attribute__((weak));
extern void pmpi_finalize_(MPI_Fint *ierr) __attribute__((weak));

void mpi_init_(MPI_Fint *ierr) {
  if (pmpi_init_) pmpi_init_(ierr);
  started();
}

void mpi_init_thread_(MPI_Fint *required, MPI_Fint *provided, MPI_Fint *ierr) {
  if (pmpi_init_thread_) pmpi_init_thread_(required, provided, ierr);
  started();
}

void mpi_finalize_(MPI_Fint *ierr) {
  finishing();
  if (pmpi_finalize_) pmpi_finalize_(ierr);
}
