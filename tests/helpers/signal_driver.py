"""A driver script that runs ``tools/train.py`` and sends a signal to itself at a chosen point (preemption tests).

Environment of the driver: ``SIG`` (a ``signal`` name, default SIGTERM); ``SIG_AT_ITER``: signal at the start of
that training iteration (mid-iteration: its data is loaded, its step not yet run); ``SIG_AT_VAL``: at that batch of
the first validation, then ``SLOW_VAL`` seconds of sleep (a stand-in for a validation longer than the deadline).
"""
import os
import subprocess
import sys
from typing import Dict, Sequence

#: The repository root (the driver imports ``tools.train`` from it).
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DRIVER = '''
import os, signal, sys, time
sys.path.insert(0, {repo!r})
env = os.environ
sig = getattr(signal, env.get('SIG', 'SIGTERM'))
at, at_val, slow = int(env.get('SIG_AT_ITER', '-1')), int(env.get('SIG_AT_VAL', '-1')), float(env.get('SLOW_VAL', '0'))
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, ValLoop
def signalling(run_iter):
    def signalling_run_iter(self, *args, **kwargs):
        if self.runner.iter == at:
            os.kill(os.getpid(), sig)
        return run_iter(self, *args, **kwargs)
    return signalling_run_iter
for loop in (EpochBasedTrainLoop, IterBasedTrainLoop):
    loop.run_iter = signalling(loop.run_iter)
val_run_iter, sent = ValLoop.run_iter, []
def signalling_val_iter(self, idx, data_batch):
    if idx == at_val and not sent:
        sent.append(idx)
        os.kill(os.getpid(), sig)
        time.sleep(slow)
    return val_run_iter(self, idx, data_batch)
ValLoop.run_iter = signalling_val_iter
import tools.train
tools.train.main(sys.argv[1:])
'''


def run_signalled(tmp_path, args: Sequence[str], env: Dict[str, object]) -> subprocess.CompletedProcess:
    """Run ``tools/train.py args`` under the driver with ``env`` added to this process' environment."""
    driver = tmp_path / 'driver.py'
    driver.write_text(DRIVER.format(repo=REPO))
    env = {**os.environ, **{k: str(v) for k, v in env.items()}}
    return subprocess.run([sys.executable, str(driver), *args], env=env, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
