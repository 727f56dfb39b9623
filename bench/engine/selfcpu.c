// LD_PRELOAD helper for bench/engine/cpu.sh: at exit, appends "COMM PID USER_S SYS_S" of this
// process alone (all its threads, none of its children: getrusage(RUSAGE_SELF)) to the file named
// by SELF_CPU_OUT. Built by the script with `cc -O2 -shared -fPIC`; not part of sluice.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
__attribute__((destructor)) static void report(void) {
  const char* out = getenv("SELF_CPU_OUT");
  if (!out) return;
  char comm[64] = "?";
  FILE* c = fopen("/proc/self/comm", "r");
  if (c) { if (fgets(comm, sizeof comm, c)) comm[strcspn(comm, "\n")] = 0; fclose(c); }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  FILE* f = fopen(out, "a");
  if (!f) return;
  fprintf(f, "%s %d %ld.%06ld %ld.%06ld\n", comm, (int)getpid(), (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
          (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec);
  fclose(f);
}
