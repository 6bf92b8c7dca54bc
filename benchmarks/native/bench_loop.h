// The driver every native benchmark program shares: file list in, timed rounds out.
//
//   PROGRAM TASK check LIST   one line per file of LIST: "ok PATH" or "fail PATH" (each
//                             file in a child process, so an abort fails only that file)
//   PROGRAM TASK bench LIST   one untimed warm-up round over LIST, then "ready COUNT";
//                             then, for each line read on stdin, one timed round over
//                             LIST and the line "SECONDS COUNT CPU_SECONDS" (wall clock,
//                             what was counted, this process's CPU time); exits at end of
//                             input
//
// LIST is a file with one path per line. COUNT is what the task counted over the round
// (elements visited, or JSON bytes written), so the caller can see that every round did
// the same work. The clock runs inside the process: start-up, loading the shared
// libraries and the toolkit's dictionary are outside every timed round, and the parent
// that drives the rounds through stdin can alternate this program with other readers.

#ifndef DICOMCORE_BENCH_LOOP_H
#define DICOMCORE_BENCH_LOOP_H

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// One file's work: returns false if the toolkit failed on it; adds to `count`.
using FileTask = bool (*)(const std::string &path, std::uint64_t &count);

inline std::vector<std::string> read_file_list(const char *list_path) {
    std::vector<std::string> paths;
    std::ifstream list(list_path);
    std::string line;
    while (std::getline(list, line)) {
        if (!line.empty()) paths.push_back(line);
    }
    return paths;
}

// CPU time of this process: on a machine shared with other work, the wall clock also
// counts the time others held the cores.
inline double process_cpu_seconds() {
    timespec now{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
    return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

inline int run_bench_loop(const char *mode, const char *list_path, FileTask task) {
    const std::vector<std::string> paths = read_file_list(list_path);
    const std::string how(mode);
    if (how == "check") {
        // Each file in a child process: a toolkit may abort on a file (GDCM asserts).
        for (const std::string &path : paths) {
            std::cout.flush();
            const pid_t child = fork();
            if (child == 0) {
                std::uint64_t count = 0;
                bool ok = false;
                try {
                    ok = task(path, count);
                } catch (...) {
                    ok = false;
                }
                _exit(ok ? 0 : 1);
            }
            int status = 0;
            const bool ok = child > 0 && waitpid(child, &status, 0) == child &&
                            WIFEXITED(status) && WEXITSTATUS(status) == 0;
            std::cout << (ok ? "ok " : "fail ") << path << '\n';
        }
        return 0;
    }
    if (how != "bench") {
        std::cerr << "mode must be check or bench\n";
        return 2;
    }
    std::uint64_t count = 0;
    for (const std::string &path : paths) task(path, count);
    std::cout << "ready " << count << std::endl;
    std::string request;
    while (std::getline(std::cin, request)) {
        count = 0;
        const double cpu_start = process_cpu_seconds();
        const auto start = std::chrono::steady_clock::now();
        for (const std::string &path : paths) task(path, count);
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
        const double cpu = process_cpu_seconds() - cpu_start;
        std::printf("%.6f %llu %.6f\n", elapsed.count(), static_cast<unsigned long long>(count),
                    cpu);
        std::fflush(stdout);
    }
    return 0;
}

#endif
