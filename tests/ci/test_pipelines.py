"""tests/ci/test_pipelines.py: the CI definitions users adopt say what they claim.

Run by ci/pipelines.sh (which puts actionlint and check-jsonschema on PATH):
- every script either pipeline names exists under ci/ and is executable;
- every ci/*-hw.sh is run by both pipelines, each on a self-hosted runner (GitHub labels) or
  a tagged runner (GitLab tags) that names its hardware;
- both pipelines' test jobs are exactly `bash ci/test.sh --list`, and each such job is a script;
- the validators are live: a broken copy of each file is rejected;
- each hardware job fails (exit 1, "FAIL:") on a machine that lacks its hardware.
"""
import os
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GITHUB = [os.path.join(ROOT, ".github", "workflows", f) for f in ("ci.yml", "hardware.yml")]
GITLAB = os.path.join(ROOT, ".gitlab-ci.yml")
SCRIPT_RE = re.compile(r"\bci/[A-Za-z0-9_.-]+\.sh\b")
# the hardware each ci/*-hw.sh needs, as a runner label (GitHub) or tag (GitLab)
HW_LABELS = {
    "ci/cuda-hw.sh": {"nvidia"},
    "ci/cuda-uma-hw.sh": {"jetson", "gb10"},
    "ci/hip-hw.sh": {"amd"},
    "ci/hip-apu-hw.sh": {"amd-apu"},
    "ci/cpu-numa-hw.sh": {"numa"},
}


def text(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def load(path):
    return yaml.safe_load(text(path))


def hw_scripts():
    return sorted("ci/" + f for f in os.listdir(os.path.join(ROOT, "ci")) if f.endswith("-hw.sh"))


def listed_jobs():
    out = subprocess.run(["bash", os.path.join(ROOT, "ci", "test.sh"), "--list"],
                         capture_output=True, text=True, check=True).stdout.split()
    assert out, "ci/test.sh --list printed no job"
    return out


def named_scripts(paths):
    found = set()
    for p in paths:
        found |= set(SCRIPT_RE.findall(text(p)))
    return found


def test_every_named_script_exists_and_is_executable():
    names = named_scripts(GITHUB + [GITLAB])
    # the test jobs name ci/test.sh; the jobs it runs are scripts too
    names |= {"ci/%s.sh" % j for j in listed_jobs()}
    assert "ci/test.sh" in names
    for n in sorted(names):
        path = os.path.join(ROOT, n)
        assert os.path.isfile(path), "%s is named by a pipeline but does not exist" % n
        assert os.access(path, os.X_OK), "%s is named by a pipeline but is not executable" % n


def test_the_hardware_scripts_are_the_ones_this_test_knows():
    assert hw_scripts() == sorted(HW_LABELS), (
        "ci/*-hw.sh is %s; tell HW_LABELS which runner each needs" % hw_scripts())


def github_hw_jobs():
    """(script, labels) for every hardware job of ci.yml, through hardware.yml."""
    wf = load(GITHUB[0])
    called = load(GITHUB[1])
    run = called["jobs"]["run"]
    assert run["runs-on"] == "${{ fromJSON(inputs.runner) }}"
    steps = " ".join(s.get("run", "") for s in run["steps"])
    assert 'bash "$SCRIPT"' in steps, "hardware.yml does not run the script it is given"
    jobs = []
    for name, job in wf["jobs"].items():
        if job.get("uses") == "./.github/workflows/hardware.yml":
            w = job["with"]
            jobs.append((w["script"], set(yaml.safe_load(w["runner"]))))
    return jobs


def gitlab_hw_jobs():
    doc = load(GITLAB)
    tmpl = doc[".hardware"]
    assert any('bash "$HW_SCRIPT"' in line for line in tmpl["script"])
    jobs = []
    for name, job in doc.items():
        if isinstance(job, dict) and job.get("extends") == ".hardware":
            jobs.append((job["variables"]["HW_SCRIPT"], set(job["tags"])))
    return jobs


@pytest.mark.parametrize("pipeline", ["github", "gitlab"])
def test_every_hardware_script_runs_in_both_pipelines_on_its_hardware(pipeline):
    jobs = github_hw_jobs() if pipeline == "github" else gitlab_hw_jobs()
    assert jobs, "no hardware job in the %s pipeline" % pipeline
    covered = {}
    for script, labels in jobs:
        assert script in HW_LABELS, "%s runs %s, which is no ci/*-hw.sh" % (pipeline, script)
        assert labels & HW_LABELS[script], (
            "%s runs %s on %s, which names none of %s" % (pipeline, script, sorted(labels),
                                                          sorted(HW_LABELS[script])))
        assert "linux" in labels
        if pipeline == "github":
            assert "self-hosted" in labels, "%s must run on a self-hosted runner" % script
        covered.setdefault(script, set()).update(labels & HW_LABELS[script])
    for script in hw_scripts():
        assert script in covered, "%s is not run by the %s pipeline" % (script, pipeline)
        assert covered[script] == HW_LABELS[script], (
            "%s runs %s on %s only, not on all of %s" % (pipeline, script, sorted(covered[script]),
                                                         sorted(HW_LABELS[script])))


def test_the_test_jobs_are_the_readme_command_per_job():
    want = listed_jobs()
    wf = load(GITHUB[0])["jobs"]["test"]
    assert wf["container"] == "debian:12"
    assert wf["strategy"]["matrix"]["job"] == want
    assert any('bash ci/test.sh "$JOB"' in s.get("run", "") for s in wf["steps"])
    gl = load(GITLAB)["test"]
    assert gl["image"] == "debian:12"
    assert gl["parallel"]["matrix"] == [{"JOB": want}]
    assert any('bash ci/test.sh "$JOB"' in line for line in gl["script"])


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def test_actionlint_rejects_a_broken_workflow(tmp_path):
    assert shutil.which("actionlint"), "actionlint is not on PATH (run through ci/pipelines.sh)"
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    good = text(GITHUB[0])
    (wf / "hardware.yml").write_text(text(GITHUB[1]))
    (wf / "ci.yml").write_text(good)
    assert run(["actionlint", str(wf / "ci.yml")], cwd=tmp_path).returncode == 0
    # a matrix value the job does not define, and a misspelt key
    (wf / "ci.yml").write_text(good.replace("${{ matrix.job }}", "${{ matrix.jobb }}", 1))
    assert run(["actionlint", str(wf / "ci.yml")], cwd=tmp_path).returncode != 0
    (wf / "ci.yml").write_text(good.replace("runs-on:", "run-on:", 1))
    assert run(["actionlint", str(wf / "ci.yml")], cwd=tmp_path).returncode != 0


@pytest.mark.parametrize("schema,path,breakage", [
    ("vendor.github-workflows", GITHUB[0], ("runs-on: ubuntu-latest", "runs-on: [1, 2]")),
    ("vendor.gitlab-ci", GITLAB, ("parallel:", "paralel:")),
    ("vendor.gitlab-ci", GITLAB, ("when: always", "when: sometimes")),
])
def test_the_schemas_reject_a_broken_copy(tmp_path, schema, path, breakage):
    assert shutil.which("check-jsonschema"), "check-jsonschema is not on PATH"
    good, bad = tmp_path / "good.yml", tmp_path / "bad.yml"
    src = text(path)
    assert breakage[0] in src
    good.write_text(src)
    bad.write_text(src.replace(breakage[0], breakage[1], 1))
    assert run(["check-jsonschema", "--builtin-schema", schema, str(good)]).returncode == 0
    assert run(["check-jsonschema", "--builtin-schema", schema, str(bad)]).returncode != 0


def numa_nodes():
    try:
        online = text("/sys/devices/system/node/online").strip()
    except OSError:
        return 0
    n = 0
    for part in online.split(","):
        lo, _, hi = part.partition("-")
        n += int(hi or lo) - int(lo) + 1
    return n


# what each job looks for first, and whether this machine has it
HARDWARE_PRESENT = {
    "ci/cuda-hw.sh": lambda: shutil.which("nvidia-smi") is not None,
    "ci/cuda-uma-hw.sh": lambda: shutil.which("nvidia-smi") is not None
    or os.path.exists("/etc/nv_tegra_release"),
    "ci/hip-hw.sh": lambda: shutil.which("rocm-smi") is not None,
    "ci/hip-apu-hw.sh": lambda: shutil.which("rocm-smi") is not None,
    "ci/cpu-numa-hw.sh": lambda: numa_nodes() >= 2,
}


@pytest.mark.parametrize("script", sorted(HARDWARE_PRESENT))
def test_a_hardware_job_fails_without_its_hardware(script, tmp_path):
    if HARDWARE_PRESENT[script]():
        pytest.skip("this machine has what %s looks for: run the job itself" % script)
    env = dict(os.environ, MB_ARTIFACTS=str(tmp_path), BUILD_DIR=str(tmp_path / "build"))
    env.pop("MEMBUDGET_SYSROOT", None)
    r = run(["bash", os.path.join(ROOT, script)], env=env, timeout=120, cwd=ROOT)
    assert r.returncode == 1, "%s exited %d without its hardware:\n%s%s" % (
        script, r.returncode, r.stdout, r.stderr)
    assert "FAIL:" in r.stderr and "PASS" not in r.stdout
