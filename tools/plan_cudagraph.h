/* tools/plan_cudagraph.h: `membudget plan`'s CUDA-graph modes and attention backend (issue
 * 14, items 4 and 5): flags, environment, and the text and JSON they add. */
#ifndef MB_TOOLS_PLAN_CUDAGRAPH_H
#define MB_TOOLS_PLAN_CUDAGRAPH_H

#include "cli.h"

/* The flags with a value this part takes (NULL-terminated). */
extern const char *const plan_cg_flags[];
/* flag's value into o: CLI_OK, CLI_USAGE on a bad value, -1 when flag is not one of these. */
int plan_cg_flag(const char *flag, const char *v, mb_plan_options *o);
/* VLLM_USE_V2_MODEL_RUNNER and VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS (vllm/envs.py). */
int plan_cg_env(mb_plan_options *o, int *runner_from_env);
/* A measured device (--device cuda:N): its own name and compute capability into spec and,
 * unless given, o->compute_capability. */
int plan_cg_measured_device(const mb_snapshot *s, mb_plan_options *o, mb_gpu_spec *spec);
void plan_cg_text(const mb_plan *p);
void plan_cg_json(cJSON *root, const mb_plan *p);

#endif
