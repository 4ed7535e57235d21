//! linux-bench: the Linux side of `make bench`, the same operations as Courier's benchmark
//! programs, measured the same way, for the comparison table in docs/benchmarks.md.
//!
//! It runs as the init of a small initramfs in a Debian kernel booted under the same QEMU
//! mode as Courier (TCG, `-icount shift=0,sleep=off`, one processor, `-cpu max`), where
//! the counter read directly from user mode (`rdtsc` on x86_64, `cntvct_el0` on aarch64,
//! whose 1 GHz frequency makes one tick one instruction) counts every instruction the
//! guest executes: this process, its peers and the kernel. Linux's own clocks are never
//! used (it may calibrate the TSC oddly under icount).
//!
//! As process 1 it mounts /proc, /sys and a tmpfs on /dev/shm, prints the kernel's
//! release and mitigations, forks the benchmark process (so that no measurement runs as
//! init, whose signals the kernel treats specially), reaps everything, and powers off
//! with `reboot(RB_POWER_OFF)`. Each measurement prints one line the harness reads:
//!
//! ```text
//! linux-bench: pipe-bench: 1-byte round trip: 2000 round trips, 12800.00 instructions, 2.00 context switches each
//! linux-bench: pipe-bench: throughput, 64 KiB writes: 256 writes, 99000.00 instructions, 1.00 context switches each, 662.00 MB/s at one instruction per nanosecond
//! ```
//!
//! The part after `linux-bench: ` is `PROGRAM: NAME` of the Courier line measuring the same
//! thing (same program name, operation name, iteration and warm-up counts), so the
//! harness pairs them; operations Courier has no program for use their own program names
//! (`syscall-bench`, `shm-bench`). Context switches are the system-wide `ctxt` of
//! /proc/stat, read outside the counted stretch. The first measurement,
//! `calibration: 2-instruction loop`, checks that the counter counts instructions (it
//! must read 2.00). Where Courier's operation name describes Courier's own path
//! (`sigqueue(self) through proc and an upcall -> ...`), the Linux line has a name of its
//! own and the harness's table of operations pairs the two. The last line is `linux-bench: done`, or `linux-bench: FAILED: why`.
//!
//! Linux has no synchronous call and reply, so the IPC round trip's counterpart is a futex
//! ping-pong between two processes over a shared page that carries the message words: the
//! cheapest way for a Linux process to hand the processor to another and wait for its
//! answer. Courier's spawn of a program is compared with `fork` + `_exit` and with
//! `posix_spawn` of `/true` (a static C program that returns 0).

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/msg.h>
#include <sys/reboot.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* Iteration counts: the same as the Courier programs'. */
enum {
    SYSCALLS = 10000,
    SYSCALL_WARM_UP = 1000,
    IPC_ROUND_TRIPS = 10000,
    IPC_WARM_UP = 1000,
    SPAWN_CYCLES = 200,
    SPAWN_WARM_UP = 20,
    OPERATIONS = 2000,
};
#define THROUGHPUT_BYTES (16u << 20)

/* The counter ------------------------------------------------------------------------ */

static inline uint64_t counter(void) {
#if defined(__x86_64__)
    uint32_t low, high;
    __asm__ volatile("rdtsc" : "=a"(low), "=d"(high));
    return ((uint64_t)high << 32) | low;
#elif defined(__aarch64__)
    uint64_t value;
    __asm__ volatile("isb\n\tmrs %0, cntvct_el0" : "=r"(value)::"memory");
    return value;
#else
#error "linux-bench supports x86_64 and aarch64"
#endif
}

/* Instructions `ticks` of the counter stand for under `-icount shift=0`. */
static uint64_t ticks_to_instructions(uint64_t ticks) {
#if defined(__aarch64__)
    uint64_t frequency;
    __asm__ volatile("mrs %0, cntfrq_el0" : "=r"(frequency));
    if (frequency == 0)
        frequency = 1;
    return (uint64_t)((unsigned __int128)ticks * 1000000000u / frequency);
#else
    return ticks;
#endif
}

/* Output and failure ------------------------------------------------------------------ */

static void say(const char *format, ...) {
    char line[512];
    va_list arguments;
    va_start(arguments, format);
    int length = vsnprintf(line, sizeof line, format, arguments);
    va_end(arguments);
    if (length > (int)sizeof line - 1)
        length = sizeof line - 1;
    /* One write per line: children share the console. */
    if (length > 0 && write(STDOUT_FILENO, line, (size_t)length) < 0)
        return;
}

static void fail(const char *what) {
    say("linux-bench: FAILED: %s: %s\n", what, strerror(errno));
    exit(1);
}

#define CHECK(condition, what)                                                                \
    do {                                                                                      \
        if (!(condition))                                                                     \
            fail(what);                                                                       \
    } while (0)

/* System-wide context switches so far (`ctxt` in /proc/stat), 0 if unreadable. */
static uint64_t context_switches(void) {
    static char buffer[16384];
    int descriptor = open("/proc/stat", O_RDONLY);
    if (descriptor < 0)
        return 0;
    ssize_t length = read(descriptor, buffer, sizeof buffer - 1);
    close(descriptor);
    if (length <= 0)
        return 0;
    buffer[length] = 0;
    const char *found = strstr(buffer, "\nctxt ");
    return found ? strtoull(found + 6, NULL, 10) : 0;
}

/* A measured stretch. */
struct measured {
    uint64_t instructions;
    uint64_t switches;
};

static uint64_t switches_at_start;
static uint64_t counter_at_start;

static void start(void) {
    switches_at_start = context_switches();
    counter_at_start = counter();
}

static struct measured stop(void) {
    uint64_t end = counter();
    struct measured result = {ticks_to_instructions(end - counter_at_start), 0};
    result.switches = context_switches() - switches_at_start;
    return result;
}

static void hundredths(char *text, size_t size, uint64_t value) {
    snprintf(text, size, "%llu.%02llu", (unsigned long long)(value / 100),
             (unsigned long long)(value % 100));
}

/* Prints one result line; `bytes` > 0 adds the throughput. */
static void report(const char *key, uint64_t count, const char *unit, struct measured measured,
                   uint64_t bytes) {
    char instructions[32], switches[32], rate[96] = "";
    hundredths(instructions, sizeof instructions, measured.instructions * 100 / count);
    hundredths(switches, sizeof switches, measured.switches * 100 / count);
    if (bytes > 0) {
        /* At one instruction per nanosecond, bytes per instruction are GB/s. */
        uint64_t megabytes = bytes * 1000 * 100 / (measured.instructions ? measured.instructions : 1);
        char value[32];
        hundredths(value, sizeof value, megabytes);
        snprintf(rate, sizeof rate, ", %s MB/s at one instruction per nanosecond", value);
    }
    say("linux-bench: %s: %llu %s, %s instructions, %s context switches each%s\n", key,
        (unsigned long long)count, unit, instructions, switches, rate);
}

static void reap(pid_t pid) {
    int status;
    CHECK(waitpid(pid, &status, 0) == pid, "waitpid");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        errno = ECHILD;
        fail("a peer failed");
    }
}

static void write_all(int descriptor, const void *data, size_t size) {
    const char *rest = data;
    while (size > 0) {
        ssize_t written = write(descriptor, rest, size);
        CHECK(written > 0, "write");
        rest += written;
        size -= (size_t)written;
    }
}

/* Calibration: a loop of two instructions per iteration, which must count 2.00 each when
 * the counter counts instructions (a timer interrupt may add a little). */
static void calibration(void) {
    uint64_t iterations = 1000000;
    start();
#if defined(__x86_64__)
    __asm__ volatile("1:\n\tdec %0\n\tjnz 1b" : "+r"(iterations));
#else
    __asm__ volatile("1:\n\tsubs %0, %0, #1\n\tb.ne 1b" : "+r"(iterations)::"cc");
#endif
    report("calibration: 2-instruction loop", 1000000, "iterations", stop(), 0);
}

/* Null system call -------------------------------------------------------------------- */

static void null_system_call(void) {
    for (int i = 0; i < SYSCALL_WARM_UP; i++)
        syscall(SYS_getppid);
    start();
    for (int i = 0; i < SYSCALLS; i++)
        syscall(SYS_getppid);
    report("syscall-bench: null system call (getppid)", SYSCALLS, "calls", stop(), 0);
}

/* IPC round trip: a futex ping-pong ------------------------------------------------- */

enum { MESSAGE_WORDS = 4, TURN_CLIENT = 0, TURN_SERVER = 1 };

struct rendezvous {
    _Atomic uint32_t turn;
    uint32_t stop;
    uint64_t count;
    uint64_t request[MESSAGE_WORDS];
    uint64_t reply[MESSAGE_WORDS];
};

static long futex(_Atomic uint32_t *word, int operation, uint32_t value) {
    return syscall(SYS_futex, word, operation, value, NULL, NULL, 0);
}

/* Waits until `*turn` becomes `wanted`, then hands the turn over with a wake-up. */
static void wait_for_turn(struct rendezvous *shared, uint32_t wanted) {
    uint32_t seen;
    while ((seen = atomic_load(&shared->turn)) != wanted)
        futex(&shared->turn, FUTEX_WAIT, seen);
}

static void give_turn(struct rendezvous *shared, uint32_t to) {
    atomic_store(&shared->turn, to);
    futex(&shared->turn, FUTEX_WAKE, 1);
}

static void ipc_server(struct rendezvous *shared) {
    for (;;) {
        wait_for_turn(shared, TURN_SERVER);
        uint32_t stop_now = shared->stop;
        /* Echo the words, as Courier's server answers with the words it received. */
        for (uint64_t i = 0; i < shared->count && i < MESSAGE_WORDS; i++)
            shared->reply[i] = shared->request[i];
        give_turn(shared, TURN_CLIENT);
        if (stop_now)
            _exit(0);
    }
}

static int ipc_call(struct rendezvous *shared, const uint64_t *words, size_t count) {
    shared->count = count;
    for (size_t i = 0; i < count; i++)
        shared->request[i] = words[i];
    give_turn(shared, TURN_SERVER);
    wait_for_turn(shared, TURN_CLIENT);
    uint64_t differences = 0;
    for (size_t i = 0; i < count; i++)
        differences |= shared->reply[i] ^ words[i];
    return differences == 0;
}

static void ipc_round_trips(void) {
    struct rendezvous *shared =
        mmap(NULL, sizeof *shared, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    CHECK(shared != MAP_FAILED, "mmap");
    atomic_store(&shared->turn, TURN_CLIENT);
    shared->stop = 0;
    pid_t server = fork();
    CHECK(server >= 0, "fork");
    if (server == 0)
        ipc_server(shared);
    static const uint64_t zero[MESSAGE_WORDS];
    static const uint64_t four[MESSAGE_WORDS] = {0x1111, 0x2222, 0x3333, 0x4444};
    for (int i = 0; i < IPC_WARM_UP; i++)
        ipc_call(shared, zero, 0);
    const struct {
        const char *key;
        const uint64_t *words;
        size_t count;
    } cases[] = {
        {"ipc-bench: round trip, 0 words", zero, 0},
        {"ipc-bench: round trip, 4 words", four, MESSAGE_WORDS},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        int good = 1;
        start();
        for (int i = 0; i < IPC_ROUND_TRIPS; i++)
            good &= ipc_call(shared, cases[c].words, cases[c].count);
        struct measured measured = stop();
        if (!good) {
            errno = EIO;
            fail("futex ping-pong lost its words");
        }
        report(cases[c].key, IPC_ROUND_TRIPS, "round trips", measured, 0);
    }
    shared->stop = 1;
    give_turn(shared, TURN_SERVER);
    reap(server);
    munmap(shared, sizeof *shared);
}

/* fork / posix_spawn + exit + waitpid -------------------------------------------------- */

static void fork_cycle(void) {
    pid_t child = fork();
    CHECK(child >= 0, "fork");
    if (child == 0)
        _exit(0);
    reap(child);
}

static void spawn_cycle(void) {
    pid_t child;
    char *arguments[] = {"true", NULL};
    errno = posix_spawn(&child, "/true", NULL, NULL, arguments, environ);
    CHECK(errno == 0, "posix_spawn /true");
    reap(child);
}

static void spawns(void) {
    const struct {
        const char *key;
        void (*cycle)(void);
    } cases[] = {
        {"spawn-bench: fork+exit+waitpid", fork_cycle},
        {"spawn-bench: posix_spawn+exit+waitpid", spawn_cycle},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        for (int i = 0; i < SPAWN_WARM_UP; i++)
            cases[c].cycle();
        start();
        for (int i = 0; i < SPAWN_CYCLES; i++)
            cases[c].cycle();
        report(cases[c].key, SPAWN_CYCLES, "cycles", stop(), 0);
    }
}

/* Pipes ----------------------------------------------------------------------------- */

/* Forks a peer that runs `body(input, output)` on the far ends of two new pipes; returns
 * the near ends in `to_peer` and `from_peer`. */
static pid_t fork_peer(void (*body)(int, int), int *to_peer, int *from_peer) {
    int down[2], up[2];
    CHECK(pipe(down) == 0 && pipe(up) == 0, "pipe");
    pid_t peer = fork();
    CHECK(peer >= 0, "fork");
    if (peer == 0) {
        close(down[1]);
        close(up[0]);
        body(down[0], up[1]);
        _exit(0);
    }
    close(down[0]);
    close(up[1]);
    *to_peer = down[1];
    *from_peer = up[0];
    return peer;
}

static void echo(int input, int output) {
    char byte;
    while (read(input, &byte, 1) == 1)
        CHECK(write(output, &byte, 1) == 1, "echo write");
}

static void sink(int input, int output) {
    static char buffer[65536];
    uint64_t total = 0;
    ssize_t count;
    while ((count = read(input, buffer, sizeof buffer)) > 0)
        total += (uint64_t)count;
    CHECK(count == 0, "sink read");
    char text[32];
    int length = snprintf(text, sizeof text, "%llu", (unsigned long long)total);
    write_all(output, text, (size_t)length);
}

static void pipe_round_trip(int to_peer, int from_peer) {
    char byte = 'x';
    CHECK(write(to_peer, &byte, 1) == 1 && read(from_peer, &byte, 1) == 1, "round trip");
}

static void pipe_round_trips(void) {
    int to_peer, from_peer;
    pid_t peer = fork_peer(echo, &to_peer, &from_peer);
    for (int i = 0; i < OPERATIONS; i++)
        pipe_round_trip(to_peer, from_peer);
    start();
    for (int i = 0; i < OPERATIONS; i++)
        pipe_round_trip(to_peer, from_peer);
    struct measured measured = stop();
    close(to_peer);
    close(from_peer);
    reap(peer);
    report("pipe-bench: 1-byte round trip", OPERATIONS, "round trips", measured, 0);
}

static void throughput(size_t write_size, const char *key) {
    int to_peer, from_peer;
    pid_t peer = fork_peer(sink, &to_peer, &from_peer);
    char *block = malloc(write_size);
    CHECK(block != NULL, "malloc");
    memset(block, 0x42, write_size);
    uint64_t writes = THROUGHPUT_BYTES / write_size;
    char answer[32] = "";
    start();
    for (uint64_t i = 0; i < writes; i++)
        write_all(to_peer, block, write_size);
    close(to_peer);
    /* The peer has read everything when it reports. */
    ssize_t reported = read(from_peer, answer, sizeof answer - 1);
    struct measured measured = stop();
    close(from_peer);
    reap(peer);
    free(block);
    char expected[32];
    snprintf(expected, sizeof expected, "%u", THROUGHPUT_BYTES);
    if (reported <= 0 || strcmp(answer, expected) != 0) {
        errno = EIO;
        fail("the sink's count is wrong");
    }
    report(key, writes, "writes", measured, THROUGHPUT_BYTES);
}

/* Signals --------------------------------------------------------------------------- */

static volatile sig_atomic_t caught;

static void count_signal(int signal) {
    (void)signal;
    caught++;
}

static void self_signals(void) {
    struct sigaction action = {0};
    action.sa_handler = count_signal;
    sigemptyset(&action.sa_mask);
    CHECK(sigaction(SIGUSR1, &action, NULL) == 0, "sigaction");
    pid_t self = getpid();
    for (int i = 0; i < OPERATIONS; i++)
        CHECK(kill(self, SIGUSR1) == 0, "kill");
    sig_atomic_t before = caught;
    start();
    for (int i = 0; i < OPERATIONS; i++)
        kill(self, SIGUSR1);
    struct measured measured = stop();
    /* Every signal ran the handler before kill returned. */
    if (caught - before != OPERATIONS) {
        errno = EIO;
        fail("a handler did not run");
    }
    report("signal-bench: kill(self) -> handler -> return", OPERATIONS, "signals", measured, 0);
    before = caught;
    start();
    for (int i = 0; i < OPERATIONS; i++)
        sigqueue(self, SIGUSR1, (union sigval){.sival_int = i});
    measured = stop();
    if (caught - before != OPERATIONS) {
        errno = EIO;
        fail("a queued signal's handler did not run");
    }
    report("signal-bench: sigqueue(self) -> handler -> return", OPERATIONS, "signals", measured, 0);
}

static int answer_descriptor;

static void answer_signal(int signal) {
    (void)signal;
    /* A full pipe or a closed reader ends the benchmark; the parent notices. */
    ssize_t ignored = write(answer_descriptor, "!", 1);
    (void)ignored;
}

static void blocked_reader(int input, int output) {
    struct sigaction action = {0};
    action.sa_handler = answer_signal;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    answer_descriptor = output;
    CHECK(sigaction(SIGUSR1, &action, NULL) == 0, "sigaction");
    CHECK(write(output, "r", 1) == 1, "ready");
    char buffer[16];
    /* Restarted after every handler; 0 when the parent closes its end. */
    while (read(input, buffer, sizeof buffer) != 0) {
    }
}

static void signal_round_trip(pid_t child, int from_child) {
    char byte;
    CHECK(kill(child, SIGUSR1) == 0 && read(from_child, &byte, 1) == 1, "signal round trip");
}

static void blocked_reader_round_trips(void) {
    int to_child, from_child;
    pid_t child = fork_peer(blocked_reader, &to_child, &from_child);
    char byte;
    /* The child says it is ready (handler installed) with one byte. */
    CHECK(read(from_child, &byte, 1) == 1, "ready");
    for (int i = 0; i < OPERATIONS; i++)
        signal_round_trip(child, from_child);
    start();
    for (int i = 0; i < OPERATIONS; i++)
        signal_round_trip(child, from_child);
    struct measured measured = stop();
    close(to_child);
    reap(child);
    close(from_child);
    report("signal-bench: signal to a process blocked in a pipe read, answered by a pipe write",
           OPERATIONS, "signals", measured, 0);
}

/* System V IPC ------------------------------------------------------------------------ */

static int semaphore(int id, unsigned short number, short operation) {
    struct sembuf buffer = {number, operation, 0};
    return semop(id, &buffer, 1);
}

static void semaphore_ping_pong(void) {
    int id = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
    CHECK(id >= 0, "semget");
    pid_t peer = fork();
    CHECK(peer >= 0, "fork");
    if (peer == 0) {
        /* Wait on 0, raise 1, until the set is removed. */
        while (semaphore(id, 0, -1) == 0)
            CHECK(semaphore(id, 1, 1) == 0, "peer semop");
        _exit(errno == EIDRM || errno == EINVAL ? 0 : 1);
    }
    for (int i = 0; i < OPERATIONS; i++)
        CHECK(semaphore(id, 0, 1) == 0 && semaphore(id, 1, -1) == 0, "semop");
    start();
    for (int i = 0; i < OPERATIONS; i++)
        CHECK(semaphore(id, 0, 1) == 0 && semaphore(id, 1, -1) == 0, "semop");
    struct measured measured = stop();
    CHECK(semctl(id, 0, IPC_RMID) == 0, "semctl IPC_RMID");
    reap(peer);
    report("sysv-bench: semaphore ping-pong", OPERATIONS, "round trips", measured, 0);
}

struct message {
    long type;
    char text[8];
};

static void message_round_trip(int id) {
    struct message message = {1, "pingpong"};
    CHECK(msgsnd(id, &message, 8, 0) == 0, "msgsnd");
    CHECK(msgrcv(id, &message, 8, 2, 0) == 8, "msgrcv");
}

static void message_ping_pong(void) {
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    CHECK(id >= 0, "msgget");
    pid_t peer = fork();
    CHECK(peer >= 0, "fork");
    if (peer == 0) {
        /* Receive type 1, answer with type 2, until the queue is removed. */
        struct message message;
        ssize_t length;
        while ((length = msgrcv(id, &message, 8, 1, 0)) >= 0) {
            message.type = 2;
            CHECK(msgsnd(id, &message, (size_t)length, 0) == 0, "peer msgsnd");
        }
        _exit(errno == EIDRM || errno == EINVAL ? 0 : 1);
    }
    for (int i = 0; i < OPERATIONS; i++)
        message_round_trip(id);
    start();
    for (int i = 0; i < OPERATIONS; i++)
        message_round_trip(id);
    struct measured measured = stop();
    CHECK(msgctl(id, IPC_RMID, NULL) == 0, "msgctl IPC_RMID");
    reap(peer);
    report("sysv-bench: 8-byte message ping-pong", OPERATIONS, "round trips", measured, 0);
}

static void send_and_receive(int id) {
    struct message message = {1, "12345678"};
    CHECK(msgsnd(id, &message, 8, IPC_NOWAIT) == 0, "msgsnd");
    CHECK(msgrcv(id, &message, 8, 0, IPC_NOWAIT) == 8, "msgrcv");
}

/* msgsnd + msgrcv in one process with `queues` queues in existence. */
static void many_queues(int queues) {
    int *ids = calloc((size_t)queues, sizeof *ids);
    CHECK(ids != NULL, "calloc");
    for (int i = 0; i < queues; i++) {
        ids[i] = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
        CHECK(ids[i] >= 0, "msgget");
    }
    /* The last queue made. */
    int id = ids[queues - 1];
    for (int i = 0; i < OPERATIONS; i++)
        send_and_receive(id);
    start();
    for (int i = 0; i < OPERATIONS; i++)
        send_and_receive(id);
    struct measured measured = stop();
    for (int i = 0; i < queues; i++)
        CHECK(msgctl(ids[i], IPC_RMID, NULL) == 0, "msgctl IPC_RMID");
    free(ids);
    char key[64];
    snprintf(key, sizeof key, "sysv-bench: msgsnd+msgrcv with %d queues", queues);
    report(key, OPERATIONS, "pairs", measured, 0);
}

/* POSIX shared memory --------------------------------------------------------------- */

/* shm_open (create) + ftruncate to a page + mmap + a write to the page + munmap + close +
 * shm_unlink. */
static void shm_cycle(void) {
    int descriptor = shm_open("/linux-bench", O_CREAT | O_EXCL | O_RDWR, 0600);
    CHECK(descriptor >= 0, "shm_open");
    CHECK(ftruncate(descriptor, 4096) == 0, "ftruncate");
    volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0);
    CHECK(page != MAP_FAILED, "mmap");
    page[0] = 1;
    CHECK(munmap((void *)page, 4096) == 0, "munmap");
    close(descriptor);
    CHECK(shm_unlink("/linux-bench") == 0, "shm_unlink");
}

static void shared_memory(void) {
    for (int i = 0; i < OPERATIONS; i++)
        shm_cycle();
    start();
    for (int i = 0; i < OPERATIONS; i++)
        shm_cycle();
    report("shm-bench: shm_open+mmap+munmap+unlink", OPERATIONS, "cycles", stop(), 0);
}

/* Process 1 -------------------------------------------------------------------------- */

static void benchmarks(void) {
    calibration();
    null_system_call();
    ipc_round_trips();
    spawns();
    pipe_round_trips();
    throughput(4096, "pipe-bench: throughput, 4 KiB writes");
    throughput(65536, "pipe-bench: throughput, 64 KiB writes");
    self_signals();
    blocked_reader_round_trips();
    semaphore_ping_pong();
    message_ping_pong();
    many_queues(10);
    many_queues(10000);
    shared_memory();
}

/* Prints the first line of `path` after `label`, if it can be read. */
static void show_file(const char *label, const char *path) {
    char text[256];
    int descriptor = open(path, O_RDONLY);
    if (descriptor < 0)
        return;
    ssize_t length = read(descriptor, text, sizeof text - 1);
    close(descriptor);
    if (length <= 0)
        return;
    text[length] = 0;
    text[strcspn(text, "\n")] = 0;
    say("linux-bench: %s: %s\n", label, text);
}

__attribute__((noreturn)) static void power_off(void) {
    sync();
    reboot(RB_POWER_OFF);
    /* Not reached; if it were, init must not exit (the kernel would panic). */
    for (;;)
        pause();
}

int main(int argc, char **argv) {
    (void)argc;
    if (getpid() != 1) {
        /* Run by hand (not as init): just measure. */
        benchmarks();
        say("linux-bench: done\n");
        return 0;
    }
    (void)argv;
    mkdir("/proc", 0555);
    mkdir("/sys", 0555);
    mkdir("/dev/shm", 01777);
    if (mount("proc", "/proc", "proc", 0, NULL) != 0 ||
        mount("sysfs", "/sys", "sysfs", 0, NULL) != 0 ||
        mount("tmpfs", "/dev/shm", "tmpfs", 0, "mode=1777") != 0) {
        say("linux-bench: FAILED: mount: %s\n", strerror(errno));
        power_off();
    }
    struct utsname name;
    if (uname(&name) == 0)
        say("linux-bench: kernel: %s %s %s\n", name.sysname, name.release, name.machine);
    show_file("mitigation, meltdown", "/sys/devices/system/cpu/vulnerabilities/meltdown");
    show_file("mitigation, spectre_v2", "/sys/devices/system/cpu/vulnerabilities/spectre_v2");
    pid_t worker = fork();
    if (worker == 0) {
        benchmarks();
        _exit(0);
    }
    int status = 0, ok = 0;
    pid_t reaped;
    /* Reap everything; the worker's status decides. */
    while ((reaped = wait(&status)) > 0 || errno == EINTR)
        if (reaped == worker)
            ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    say(ok ? "linux-bench: done\n" : "linux-bench: FAILED: the benchmark process failed\n");
    power_off();
}
