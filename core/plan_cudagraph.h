/* core/plan_cudagraph.h: the plan's attention backend and CUDA graphs (plan_cudagraph.c). */
#ifndef MB_CORE_PLAN_CUDAGRAPH_H
#define MB_CORE_PLAN_CUDAGRAPH_H

#include "membudget.h"
#include "membudget/vllm.h"

/* The backend (p->attention_backend) and its AttentionCGSupport; MB_EINVAL for a block
 * size or backend vLLM refuses, in its words. */
int mb__plan_backend(const mb_model *m, const mb_snapshot *dev, const mb_plan_options *o,
                     int *cg_support, mb_plan *p);
/* The CUDA-graph mode, graphs and charge (p->budget.cudagraph_memory and the 1.2 fields);
 * pooling: 1 for an encoder-only (pooling) model, whose FULL graphs vLLM turns off. */
int mb__plan_cudagraphs(const mb_plan_options *o, const mb_snapshot *dev, int cg_support,
                        int pooling, mb_plan *p);

#endif
