"""Parts of ``.dev_scripts/gpu_check.py``, one job each.

* :mod:`.common`: the paths, dry-run overrides and JSON files every part shares;
* :mod:`.wheels`: the wheel check of ``.dev_scripts/gpu_wheels.sh``;
* :mod:`.parts`: what each part of ``run`` executes, its budget, and reading its figures back;
* :mod:`.data`: part (c), data-loading clips/s;
* :mod:`.compile`: part (d), ``torch.compile`` vs eager;
* :mod:`.report`: ``gpu_check.json`` / ``gpu_check.md`` and the figures against their targets.
"""
