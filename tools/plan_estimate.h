/* tools/plan_estimate.h: the estimate's part of `membudget plan` (issue 15): its options,
 * its device by name, and what it adds to the text and JSON. cmd_plan.c calls these few
 * hooks and nothing else of the estimate. */
#ifndef MB_PLAN_ESTIMATE_H
#define MB_PLAN_ESTIMATE_H

#include "cli.h"

#define PLAN_EST_NOT_MINE (-1)

typedef struct plan_est {
    int active;              /* --estimate, or implied by --gpu/--instances/--memory-cap */
    int applied;             /* the plan's non-KV / CUDA-graph figures are the estimate's */
    int non_kv_applied, cudagraph_applied;
    const char *gpu;         /* --gpu NAME */
    int seqs_given, tokens_given; /* --max-num-seqs / --max-num-batched-tokens were given
                                   * (else the estimate takes vLLM's device defaults) */
    int runner_from_env;     /* VLLM_USE_V2_MODEL_RUNNER named the runner (plan_cg_env):
                              * the estimate and the plan's graphs both follow it */
    mb_estimate_options o;
    mb_estimate_device dev;
    mb_estimate e;
} plan_est;

void plan_est_init(plan_est *p);
/* One option at argv[*i] (and its value): PLAN_EST_NOT_MINE when it is not one of the
 * estimate's, CLI_OK when taken (*i moved past its value), CLI_USAGE on a bad value. */
int plan_est_parse(plan_est *p, int argc, char **argv, int *i);
/* The what-if device of --gpu NAME (free = total less the runtime context). */
int plan_est_snapshot(const plan_est *p, mb_snapshot *s);
/* Computes the estimate for the model on s with the plan's options, and feeds its
 * central figures into the plan's options where nothing was given. */
int plan_est_apply(plan_est *p, const char *model, const mb_snapshot *s, mb_plan_options *o);
/* The plan's "non-KV" / "CUDA graphs" explanations when the estimate supplied them. */
const char *plan_est_non_kv_how(const plan_est *p);
const char *plan_est_cudagraph_how(const plan_est *p);
void plan_est_print(const plan_est *p);
void plan_est_json(const plan_est *p, cJSON *root);

#endif
