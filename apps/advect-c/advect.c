/*
 * The C/MPI twin of vmpath's advection application (src/apps/advect): the same scheme, block
 * decomposition, message pattern, arguments, JSON result and checksum, on Open MPI. Built with
 *   mpicc -O2 -ffp-contract=off -o advect advect.c
 * (no fused multiply-adds: the checksum must equal the TypeScript version's bit for bit) and
 * launched by `vmpath run advect --engine openmpi`, or by hand:
 *   mpirun -np 4 ./advect --grid 64x64x64 --steps 32 --decomp 1x1x4 --velocity 1,1,1 --dt 0.0046875
 * Rank 0 prints one line: "ADVECT_RESULT " followed by the result as JSON (version 1).
 *
 * u_t + a u_x + b u_y + c u_z = 0 on the unit cube, first-order upwind with a, b, c > 0. A block
 * of nx x ny x nz cells is stored as (nx+1) x (ny+1) x (nz+1) doubles, x slowest, plane 0 of each
 * dimension the ghost layer; the step sweeps from the last cell down and updates in place.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct {
  long grid[3], decomp[3];
  int steps, warmup;
  double velocity[3], dt;
} Params;

static int parse_dims(const char *text, long out[3]) {
  char extra;
  return sscanf(text, "%ldx%ldx%ld%c", &out[0], &out[1], &out[2], &extra) == 3 && out[0] > 0 &&
         out[1] > 0 && out[2] > 0;
}

static int parse_args(int argc, char **argv, Params *p) {
  int seen = 0;
  p->warmup = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const char *name = argv[i], *value = argv[i + 1];
    char extra;
    if (!strcmp(name, "--grid") && parse_dims(value, p->grid)) seen |= 1;
    else if (!strcmp(name, "--decomp") && parse_dims(value, p->decomp)) seen |= 2;
    else if (!strcmp(name, "--steps") && sscanf(value, "%d%c", &p->steps, &extra) == 1 && p->steps > 0)
      seen |= 4;
    else if (!strcmp(name, "--velocity") &&
             sscanf(value, "%lf,%lf,%lf%c", &p->velocity[0], &p->velocity[1], &p->velocity[2],
                    &extra) == 3 && p->velocity[0] > 0 && p->velocity[1] > 0 && p->velocity[2] > 0)
      seen |= 8;
    else if (!strcmp(name, "--dt") && sscanf(value, "%lf%c", &p->dt, &extra) == 1 && p->dt > 0)
      seen |= 16;
    else if (!strcmp(name, "--warmup") && sscanf(value, "%d%c", &p->warmup, &extra) == 1 && p->warmup >= 0)
      continue;
    else return 0;
  }
  return seen == 31;
}

/* phi(s) = 1 / (1 + 4 (s - 0.3)^2), the profile of src/apps/advect/profile.ts */
static double phi(double s) {
  double d = s - 0.3;
  return 1 / (1 + 4 * d * d);
}

/* phi(x_i - v t) for cells start-1 .. start+count-1 of a dimension of n cells, t = step * dt */
static void phi_line(double *out, long n, long start, long count, double v, int step, double dt) {
  double shift = v * ((double)step * dt);
  for (long i = 0; i <= count; i++) out[i] = phi(((double)(start + i - 1) + 0.5) / (double)n - shift);
}

static void range(long n, long p, long i, long *start, long *count) {
  long base = n / p, extra = n % p;
  *start = i * base + (i < extra ? i : extra);
  *count = base + (i < extra ? 1 : 0);
}

typedef struct {
  long n[3];
  long sy, sx;
  double *u;
} Block;

#define AT(b, x, y, z) ((b)->u[(long)(x) * (b)->sx + (long)(y) * (b)->sy + (z)])

static void step(Block *b, double cx, double cy, double cz) {
  const double c0 = 1.0 - cx - cy - cz;
  for (long x = b->n[0]; x >= 1; x--)
    for (long y = b->n[1]; y >= 1; y--) {
      double *row = &AT(b, x, y, 0);
      const double *west = row - b->sx, *south = row - b->sy;
      for (long z = b->n[2]; z >= 1; z--)
        row[z] = c0 * row[z] + cx * west[z] + cy * south[z] + cz * row[z - 1];
    }
}

static long face_cells(const Block *b, int d) {
  return d == 0 ? b->n[1] * b->n[2] : d == 1 ? b->n[0] * b->n[2] : b->n[0] * b->n[1];
}

/* Copies the last plane of d into buf (packing) or buf into ghost plane 0 of d. */
static void face(Block *b, int d, double *buf, int packing) {
  long q = 0;
  for (long x = 1; x <= b->n[0]; x++) {
    if (d == 0 && x > 1) break;
    for (long y = 1; y <= b->n[1]; y++) {
      if (d == 1 && y > 1) break;
      for (long z = 1; z <= b->n[2]; z++) {
        if (d == 2 && z > 1) break;
        long cx = d == 0 ? (packing ? b->n[0] : 0) : x;
        long cy = d == 1 ? (packing ? b->n[1] : 0) : y;
        long cz = d == 2 ? (packing ? b->n[2] : 0) : z;
        if (packing) buf[q++] = AT(b, cx, cy, cz);
        else AT(b, cx, cy, cz) = buf[q++];
      }
    }
  }
}

enum { F_COORD = 0, F_CELLS = 3, F_COMPUTE = 6, F_PACK, F_COMM, F_WALL, F_MSGS, F_BYTES, F_ESUM,
       F_EMAX, F_RSS, F_CPU, F_COUNT };

/* CPU seconds (user and system) this process has used. */
static double cpu_seconds(void) {
  struct rusage u;
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, size;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  Params p;
  if (!parse_args(argc, argv, &p)) {
    if (rank == 0)
      fprintf(stderr, "usage: advect --grid XxYxZ --steps T --decomp PxQxR --velocity a,b,c --dt DT\n");
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  if (p.decomp[0] * p.decomp[1] * p.decomp[2] != size) {
    if (rank == 0)
      fprintf(stderr, "--decomp: got %ldx%ldx%ld; allowed: a decomposition whose product is the %d ranks\n",
              p.decomp[0], p.decomp[1], p.decomp[2], size);
    MPI_Abort(MPI_COMM_WORLD, 2);
  }
  long coords[3] = {rank / (p.decomp[1] * p.decomp[2]), (rank / p.decomp[2]) % p.decomp[1],
                    rank % p.decomp[2]};
  long start[3];
  Block b;
  for (int d = 0; d < 3; d++) range(p.grid[d], p.decomp[d], coords[d], &start[d], &b.n[d]);
  b.sy = b.n[2] + 1;
  b.sx = (b.n[1] + 1) * b.sy;
  b.u = calloc((size_t)(b.n[0] + 1) * b.sx, sizeof(double));
  int pred[3], succ[3];
  for (int d = 0; d < 3; d++) {
    long c[3] = {coords[0], coords[1], coords[2]};
    c[d] -= 1;
    pred[d] = c[d] < 0 ? -1 : (int)((c[0] * p.decomp[1] + c[1]) * p.decomp[2] + c[2]);
    c[d] += 2;
    succ[d] = c[d] >= p.decomp[d] ? -1 : (int)((c[0] * p.decomp[1] + c[1]) * p.decomp[2] + c[2]);
  }
  double *sendbuf[3], *recvbuf[3], *line[3];
  for (int d = 0; d < 3; d++) {
    sendbuf[d] = malloc(face_cells(&b, d) * sizeof(double));
    recvbuf[d] = malloc(face_cells(&b, d) * sizeof(double));
    line[d] = malloc((b.n[d] + 1) * sizeof(double));
  }
#define LINES(s) for (int d = 0; d < 3; d++) phi_line(line[d], p.grid[d], start[d], b.n[d], p.velocity[d], (s), p.dt)
#define INITIALIZE()                                                                   \
  do {                                                                                 \
    LINES(0);                                                                          \
    for (long x = 1; x <= b.n[0]; x++)                                                 \
      for (long y = 1; y <= b.n[1]; y++) {                                             \
        double xy = line[0][x] * line[1][y];                                           \
        for (long z = 1; z <= b.n[2]; z++) AT(&b, x, y, z) = xy * line[2][z];         \
      }                                                                                \
  } while (0)
  INITIALIZE();
  const double cx = p.velocity[0] * p.dt * (double)p.grid[0];
  const double cy = p.velocity[1] * p.dt * (double)p.grid[1];
  const double cz = p.velocity[2] * p.dt * (double)p.grid[2];
  double computeS = 0, packS = 0, commS = 0;
  long messages = 0, bytes = 0;
  double cpuBegin = 0, begin = 0;
  /* Phase 0: untimed warm-up steps (as the TypeScript version), then the block starts again
   * from t = 0. Phase 1: the timed steps. */
  for (int phase = p.warmup > 0 ? 0 : 1; phase < 2; phase++) {
  int count = phase == 0 ? p.warmup : p.steps;
  if (phase == 1) {
    MPI_Barrier(MPI_COMM_WORLD);
    cpuBegin = cpu_seconds();
    begin = MPI_Wtime();
  }
  for (int s = 0; s < count; s++) {
    MPI_Request recvs[3], sends[3];
    int nr = 0, ns = 0;
    for (int d = 0; d < 3; d++)
      if (pred[d] >= 0)
        MPI_Irecv(recvbuf[d], (int)face_cells(&b, d), MPI_DOUBLE, pred[d], d, MPI_COMM_WORLD, &recvs[nr++]);
    double t = MPI_Wtime();
    for (int d = 0; d < 3; d++)
      if (succ[d] >= 0) face(&b, d, sendbuf[d], 1);
    packS += MPI_Wtime() - t;
    t = MPI_Wtime();
    for (int d = 0; d < 3; d++)
      if (succ[d] >= 0) {
        MPI_Isend(sendbuf[d], (int)face_cells(&b, d), MPI_DOUBLE, succ[d], d, MPI_COMM_WORLD, &sends[ns++]);
        messages++;
        bytes += face_cells(&b, d) * (long)sizeof(double);
      }
    commS += MPI_Wtime() - t;
    t = MPI_Wtime();
    if (pred[0] < 0 || pred[1] < 0 || pred[2] < 0) {
      LINES(s);
      if (pred[0] < 0)
        for (long y = 1; y <= b.n[1]; y++) {
          double xy = line[0][0] * line[1][y];
          for (long z = 1; z <= b.n[2]; z++) AT(&b, 0, y, z) = xy * line[2][z];
        }
      if (pred[1] < 0)
        for (long x = 1; x <= b.n[0]; x++) {
          double xy = line[0][x] * line[1][0];
          for (long z = 1; z <= b.n[2]; z++) AT(&b, x, 0, z) = xy * line[2][z];
        }
      if (pred[2] < 0)
        for (long x = 1; x <= b.n[0]; x++)
          for (long y = 1; y <= b.n[1]; y++) AT(&b, x, y, 0) = line[0][x] * line[1][y] * line[2][0];
    }
    computeS += MPI_Wtime() - t;
    t = MPI_Wtime();
    MPI_Waitall(nr, recvs, MPI_STATUSES_IGNORE);
    commS += MPI_Wtime() - t;
    t = MPI_Wtime();
    for (int d = 0; d < 3; d++)
      if (pred[d] >= 0) face(&b, d, recvbuf[d], 0);
    packS += MPI_Wtime() - t;
    t = MPI_Wtime();
    step(&b, cx, cy, cz);
    computeS += MPI_Wtime() - t;
    t = MPI_Wtime();
    MPI_Waitall(ns, sends, MPI_STATUSES_IGNORE);
    commS += MPI_Wtime() - t;
  }
  if (phase == 0) {
    INITIALIZE();
    computeS = packS = commS = 0;
    messages = bytes = 0;
  }
  }
  double wallS = MPI_Wtime() - begin;
  double cpuS = cpu_seconds() - cpuBegin;
  LINES(p.steps);
  double esum = 0, emax = 0;
  uint64_t share = 0;
  for (long x = 1; x <= b.n[0]; x++)
    for (long y = 1; y <= b.n[1]; y++) {
      double xy = line[0][x] * line[1][y];
      uint64_t base = ((uint64_t)(start[0] + x - 1) * (uint64_t)p.grid[1] + (uint64_t)(start[1] + y - 1)) *
                          (uint64_t)p.grid[2] + (uint64_t)start[2] - 1;
      for (long z = 1; z <= b.n[2]; z++) {
        double v = AT(&b, x, y, z), e = v - xy * line[2][z];
        if (e < 0) e = -e;
        esum += e;
        if (e > emax) emax = e;
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        share += bits ^ ((base + (uint64_t)z) * UINT64_C(0x9E3779B97F4A7C15));
      }
    }
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  double mine[F_COUNT] = {(double)coords[0], (double)coords[1], (double)coords[2], (double)b.n[0],
                          (double)b.n[1], (double)b.n[2], computeS, packS, commS, wallS,
                          (double)messages, (double)bytes, esum, emax, (double)usage.ru_maxrss * 1024, cpuS};
  double *all = rank == 0 ? malloc(sizeof(double) * F_COUNT * size) : NULL;
  uint64_t *shares = rank == 0 ? malloc(sizeof(uint64_t) * size) : NULL;
  MPI_Gather(mine, F_COUNT, MPI_DOUBLE, all, F_COUNT, MPI_DOUBLE, 0, MPI_COMM_WORLD);
  MPI_Gather(&share, 1, MPI_UINT64_T, shares, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
  if (rank == 0) {
    double cells = (double)p.grid[0] * (double)p.grid[1] * (double)p.grid[2];
    double wall = 0, rss = 0, l1 = 0, max = 0, sum[3] = {0, 0, 0}, top[3] = {0, 0, 0}, sent = 0;
    uint64_t checksum = 0;
    for (int r = 0; r < size; r++) {
      double *v = all + r * F_COUNT;
      if (v[F_WALL] > wall) wall = v[F_WALL];
      if (v[F_RSS] > rss) rss = v[F_RSS];
      if (v[F_EMAX] > max) max = v[F_EMAX];
      l1 += v[F_ESUM];
      sent += v[F_BYTES];
      for (int k = 0; k < 3; k++) {
        sum[k] += v[F_COMPUTE + k];
        if (v[F_COMPUTE + k] > top[k]) top[k] = v[F_COMPUTE + k];
      }
      checksum += shares[r];
    }
    long perStep = (p.decomp[0] - 1) * p.decomp[1] * p.decomp[2] + p.decomp[0] * (p.decomp[1] - 1) * p.decomp[2] +
                   p.decomp[0] * p.decomp[1] * (p.decomp[2] - 1);
    printf("ADVECT_RESULT {\"version\":1,\"engine\":\"openmpi\",\"params\":{\"grid\":[%ld,%ld,%ld],\"steps\":%d,"
           "\"decomp\":[%ld,%ld,%ld],\"velocity\":[%.17g,%.17g,%.17g],\"dt\":%.17g,\"warmup\":%d,\"courant\":%.17g},\"ranks\":[",
           p.grid[0], p.grid[1], p.grid[2], p.steps, p.decomp[0], p.decomp[1], p.decomp[2], p.velocity[0],
           p.velocity[1], p.velocity[2], p.dt, p.warmup,
           p.dt * (p.velocity[0] * (double)p.grid[0] + p.velocity[1] * (double)p.grid[1] + p.velocity[2] * (double)p.grid[2]));
    for (int r = 0; r < size; r++) {
      double *v = all + r * F_COUNT;
      printf("%s{\"rank\":%d,\"coords\":[%.0f,%.0f,%.0f],\"cells\":[%.0f,%.0f,%.0f],\"computeS\":%.9g,\"packS\":%.9g,"
             "\"commS\":%.9g,\"wallS\":%.9g,\"cpuS\":%.9g,\"messagesSent\":%.0f,\"bytesSent\":%.0f,\"checksum\":\"%016llx\","
             "\"errorSum\":%.17g,\"errorMax\":%.17g,\"maxRssBytes\":%.0f}",
             r ? "," : "", r, v[0], v[1], v[2], v[3], v[4], v[5], v[F_COMPUTE], v[F_PACK], v[F_COMM], v[F_WALL], v[F_CPU],
             v[F_MSGS], v[F_BYTES], (unsigned long long)shares[r], v[F_ESUM], v[F_EMAX], v[F_RSS]);
    }
    printf("],\"totals\":{\"wallS\":%.9g,\"computeS\":{\"mean\":%.9g,\"max\":%.9g},\"packS\":{\"mean\":%.9g,\"max\":%.9g},"
           "\"commS\":{\"mean\":%.9g,\"max\":%.9g},\"messagesPerStep\":%ld,\"bytesPerStep\":%.17g,\"mcups\":%.9g,"
           "\"maxRssBytes\":%.0f},\"errors\":{\"l1\":%.17g,\"max\":%.17g},\"checksum\":\"%016llx\"}\n",
           wall, sum[0] / size, top[0], sum[1] / size, top[1], sum[2] / size, top[2], perStep, sent / p.steps,
           cells * p.steps / wall / 1e6, rss, l1 / cells, max, (unsigned long long)checksum);
    fflush(stdout);
  }
  MPI_Finalize();
  return 0;
}
