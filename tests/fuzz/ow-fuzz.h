#pragma once

/*
 * Fuzz targets: each defines LLVMFuzzerTestOneInput (and may define LLVMFuzzerInitialize).
 * With -Dfuzzing=true they link libFuzzer; otherwise fuzz-main.c runs them over files, so
 * every build replays the checked-in corpus.
 */

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* A failed property: prints @what and aborts, so libFuzzer keeps the input as a crash. */
void ow_fuzz_fail (const char *what, const char *detail) __attribute__ ((noreturn));

/* A log writer that aborts on criticals (a g_return_if_fail reached from input is a bug)
 * and drops chatter below warnings. */
void ow_fuzz_install_log_writer (void);
