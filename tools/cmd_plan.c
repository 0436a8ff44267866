/*
 * tools/cmd_plan.c: `membudget plan`: how big the KV cache of a model can be on a device
 * (measured, or a what-if), by vLLM's rules. Exit 0 whenever a plan was made, whether the
 * model fits or not (the verdict and "fits" say which), except when one request of
 * max_model_len cannot fit even alone, which vLLM refuses at start-up: then the plan is
 * printed and the exit is 1 with that reason. 2 for bad usage; 1 when something failed (a
 * model that cannot be read, a device that cannot be measured, a combination of options the
 * library refuses), with a one-line reason.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plan_cli.h"
#include "plan_cudagraph.h"

int cmd_plan(int argc, char **argv);

int cmd_plan(int argc, char **argv)
{
    if (cli_mpi_wanted(argc, argv))
        return cli_mpi_plan(argc, argv, cmd_plan);
    plan_args a;
    int rc = plan_parse(argc, argv, &a);
    if (rc)
        return rc;
    if (a.est.gpu && strcmp(a.est.gpu, "list") == 0)
        return plan_print_gpu_list(a.json);
    if ((rc = plan_apply_gpu(&a)))
        return rc;
    const char *allow = getenv("VLLM_ALLOW_LONG_MAX_MODEL_LEN"); /* vllm/envs.py: "1"/"true" */
    a.o.allow_long_max_model_len =
        allow && (strcmp(allow, "1") == 0 || strcasecmp(allow, "true") == 0);
    if ((rc = plan_cg_env(&a.o, &a.est.runner_from_env)))
        return rc;
    mb_model m = MB_MODEL_INIT;
    if ((rc = mb_model_load(a.model, &m)))
        return cli_fail_rc(rc, "--model");
    mb_snapshot s;
    if ((rc = plan_device_snapshot(&a, &s)))
        return rc;
    if (!a.gpu_spec.name[0] && !a.est.gpu && !a.total &&
        (rc = plan_cg_measured_device(&s, &a.o, &a.gpu_spec)))
        return rc; /* a measured device: its own name and compute capability */
    int seqs = a.o.max_num_seqs;
    int64_t tokens = a.o.max_num_batched_tokens;
    if ((rc = plan_est_apply(&a.est, a.model, &s, &a.o)))
        return rc;
    /* not given: the library takes vLLM's defaults for the device and --usage-context
     * itself, and says which rule (the estimate applies the serve ones) */
    if (!seqs)
        a.o.max_num_seqs = 0;
    if (!tokens)
        a.o.max_num_batched_tokens = 0;
    if ((rc = plan_apply_cpu_kv_space(&a, &s)))
        return rc;
    mb_plan p = MB_PLAN_INIT;
    if ((rc = mb_plan_compute(&m, &s, &a.o, &p)))
        return cli_fail_rc(rc, "plan");
    cli_flags_plan(&p);
    if (a.json)
        rc = plan_print_json(&a, &m, &s, &p);
    else {
        plan_print_text(&a, &m, &s, &p);
        rc = fflush(stdout) == 0 ? CLI_OK : cli_fail("cannot write to standard output");
    }
    if (rc == CLI_OK && cli_chart_wanted(&a.chart, a.json))
        rc = cli_chart_plan(&a.chart, a.json, a.model, &s, &p,
                            &(cli_chart_estimate){a.est.active ? &a.est.e : NULL,
                                                  a.est.non_kv_applied, a.est.cudagraph_applied,
                                                  a.est.gpu ? a.est.dev.name : NULL});
    if (rc == CLI_OK && p.startup_ok && p.refusal[0]) {
        /* vLLM refuses to start (check_enough_kv_cache_memory): an input error, not a
         * verdict (the plan above still shows the figures); its own words */
        return cli_fail("vLLM 0.33 would refuse to start on %s: %s", s.device, p.refusal);
    }
    return rc;
}
