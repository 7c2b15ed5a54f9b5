#pragma once
// DISPATCH_COLD marks a function that runs once per endpoint version, page action or command, never per
// delivery: reading settings and templates, the pages' checks, the answers' envelopes. It is built for size
// and kept out of its callers. Per-file flags cannot do this: the templates a file instantiates (nlohmann's,
// the standard library's) are shared by the whole module, and the linker keeps one copy of each, so a file
// built with -Oz slowed the per-delivery path down with it (7 % in bench/pipeline.mjs).
#if defined(__clang__)
#define DISPATCH_COLD __attribute__((minsize, noinline))
#else
#define DISPATCH_COLD __attribute__((cold, noinline))
#endif
