/*
 * vmpath's shared-memory addon: maps a file (under /dev/shm) into memory shared between
 * processes, as an ArrayBuffer. The runtime's local transport sends every message between two
 * ranks of one machine through such a pipe (src/transport/pipe.ts); ranks in different
 * namespaces of one machine (co-located vms) map the same file.
 * map(path, bytes, create) -> ArrayBuffer: the mapping ends when the buffer is collected; the
 * file is removed by whoever created it.
 * threadUsage() -> [cpuMs, preemptions, processCpuMs]: the calling thread's CPU time
 * (CLOCK_THREAD_CPUTIME_ID) and involuntary context switches (getrusage RUSAGE_THREAD), which
 * Node 20 gives only summed over the process's threads, and the process's CPU time, in one
 * call. The busy-polling policy (src/runtime/spin.ts) reads them to see the time that other
 * processes of this machine take from a polling rank.
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <errno.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void unmap(napi_env env, void *data, void *hint) {
  (void)env;
  munmap(data, (size_t)(uintptr_t)hint);
}

static napi_value fail(napi_env env, const char *what, const char *path) {
  char text[512];
  snprintf(text, sizeof text, "%s %s: %s", what, path, strerror(errno));
  napi_throw_error(env, "E_SHM", text);
  return NULL;
}

static napi_value map(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char path[256];
  size_t length = 0;
  int64_t bytes = 0;
  bool create = false;
  if (argc != 3 || napi_get_value_string_utf8(env, argv[0], path, sizeof path, &length) != napi_ok ||
      length >= sizeof path - 1 || napi_get_value_int64(env, argv[1], &bytes) != napi_ok ||
      bytes <= 0 || napi_get_value_bool(env, argv[2], &create) != napi_ok) {
    napi_throw_type_error(env, "E_SHM", "map(path: string, bytes: positive integer, create: boolean)");
    return NULL;
  }
  int fd = open(path, create ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0600);
  if (fd < 0) return fail(env, create ? "cannot create" : "cannot open", path);
  if (create && ftruncate(fd, (off_t)bytes) != 0) {
    close(fd);
    return fail(env, "cannot size", path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size < bytes) {
    close(fd);
    errno = EINVAL;
    return fail(env, "too small:", path);
  }
  void *memory = mmap(NULL, (size_t)bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (memory == MAP_FAILED) return fail(env, "cannot map", path);
  napi_value buffer;
  if (napi_create_external_arraybuffer(env, memory, (size_t)bytes, unmap,
                                       (void *)(uintptr_t)bytes, &buffer) != napi_ok) {
    munmap(memory, (size_t)bytes);
    napi_throw_error(env, "E_SHM", "cannot wrap the mapping");
    return NULL;
  }
  return buffer;
}

static napi_value thread_usage(napi_env env, napi_callback_info info) {
  (void)info;
  struct timespec cpu, process;
  struct rusage usage;
  if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &cpu) != 0 ||
      clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &process) != 0 ||
      getrusage(RUSAGE_THREAD, &usage) != 0) {
    napi_throw_error(env, "E_SHM", strerror(errno));
    return NULL;
  }
  napi_value triple, value;
  napi_create_array_with_length(env, 3, &triple);
  napi_create_double(env, (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6, &value);
  napi_set_element(env, triple, 0, value);
  napi_create_double(env, (double)usage.ru_nivcsw, &value);
  napi_set_element(env, triple, 1, value);
  napi_create_double(env, (double)process.tv_sec * 1e3 + (double)process.tv_nsec / 1e6, &value);
  napi_set_element(env, triple, 2, value);
  return triple;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "map", NAPI_AUTO_LENGTH, map, NULL, &fn);
  napi_set_named_property(env, exports, "map", fn);
  napi_create_function(env, "threadUsage", NAPI_AUTO_LENGTH, thread_usage, NULL, &fn);
  napi_set_named_property(env, exports, "threadUsage", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
