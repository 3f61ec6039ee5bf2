"""MMEngine's Runner that starts distributed training with the backend the config names, CPUs included.

(Checkpoints need nothing here: ``import ga2clip_mmaction`` adds the globals MMEngine's own checkpoints hold to
torch's ``weights_only`` allowlist, :func:`~ga2clip_mmaction.utils.checkpoint.allow_mmengine_globals`, so MMEngine's
Runner and ``load_checkpoint`` load them as they are.)

MMEngine 0.10.7 assumes CUDA on its distributed path whatever the backend: ``init_dist`` (pytorch, slurm and mpi
launchers) calls ``torch.cuda.set_device(local_rank)``, which raises where torch sees no CUDA device, and
``Runner.wrap_model`` gives DDP ``device_ids=[LOCAL_RANK]``, which torch refuses for a CPU model.
:class:`GA2CLIPRunner` (``runner_type='mmaction.GA2CLIPRunner'`` in ``configs/_base_/default_runtime.py``)
is MMEngine's Runner with two more changes that apply only when the config chose CPU ranks explicitly
(``env_cfg.dist_cfg.backend='gloo'``, e.g. ``--cfg-options env_cfg.dist_cfg.backend=gloo``) and torch sees no
CUDA device: the process group is started here, without ``set_device`` (:func:`start_cpu_process_group`), and
MMEngine's own ``MMDistributedDataParallel`` is built with ``device_ids=None``. A backend that needs CUDA
(``nccl``, the default) on a machine without CUDA fails before anything starts, with a message that says so and
names the explicit choice. With CUDA, or without a launcher, it is MMEngine's Runner. Nothing of MMEngine or
torch is replaced.
"""
import datetime
import os
import subprocess
from typing import Any, Dict, Optional

import torch
import torch.distributed as torch_dist
from mmengine.dist import is_distributed
from mmengine.runner import Runner
from mmaction.registry import RUNNERS

#: The backend that runs on CPUs.
CPU_BACKEND = 'gloo'


def _slurm_env(port: Optional[int]) -> None:
    """The rendezvous environment of a Slurm task (what MMEngine's Slurm initialiser sets, with the local rank
    taken from ``SLURM_LOCALID``: there is no GPU count to derive it from)."""
    proc_id = int(os.environ['SLURM_PROCID'])
    node_list = os.environ['SLURM_NODELIST']
    if port is not None:
        os.environ['MASTER_PORT'] = str(port)
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        os.environ['MASTER_ADDR'] = subprocess.getoutput(f'scontrol show hostname {node_list} | head -n1')
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')
    os.environ['RANK'] = str(proc_id)


def _mpi_env() -> None:
    """The rendezvous environment of an Open MPI rank."""
    os.environ.setdefault('MASTER_PORT', '29500')
    if 'MASTER_ADDR' not in os.environ:
        raise KeyError('The environment variable MASTER_ADDR is not set (needed by --launcher mpi)')
    os.environ['WORLD_SIZE'] = os.environ['OMPI_COMM_WORLD_SIZE']
    os.environ['RANK'] = os.environ['OMPI_COMM_WORLD_RANK']
    os.environ['LOCAL_RANK'] = os.environ['OMPI_COMM_WORLD_LOCAL_RANK']


def start_cpu_process_group(launcher: str, backend: str = CPU_BACKEND, port: Optional[int] = None,
                            timeout: Optional[float] = None, **kwargs: Any) -> None:
    """Start the default process group of CPU ranks (no ``torch.cuda.set_device``).

    Args:
        launcher (str): ``'pytorch'`` (torchrun has set ``RANK``, ``WORLD_SIZE``, ``MASTER_*``), ``'slurm'`` or
            ``'mpi'`` (the rendezvous environment is derived from the launcher's, as MMEngine does).
        backend (str): The process-group backend. Defaults to ``'gloo'``.
        port (int, optional): Master port (Slurm). Defaults to None.
        timeout (float, optional): Collective timeout in seconds. Defaults to None (torch's default).
        **kwargs: Further arguments of ``torch.distributed.init_process_group``.

    Raises:
        ValueError: An unknown launcher.
    """
    if launcher == 'slurm':
        _slurm_env(port)
    elif launcher == 'mpi':
        _mpi_env()
    elif launcher != 'pytorch':
        raise ValueError(f'Invalid launcher type: {launcher}')
    if timeout is not None:
        kwargs['timeout'] = datetime.timedelta(seconds=timeout)
    torch_dist.init_process_group(backend=backend, **kwargs)


@RUNNERS.register_module()
class GA2CLIPRunner(Runner):
    """MMEngine's ``Runner``; MMEngine's checkpoints load under torch's ``weights_only`` default, and distributed
    training runs on CPUs when the config says ``gloo`` (see the module doc).

    Build it as MMEngine builds a custom runner: ``runner_type='mmaction.GA2CLIPRunner'`` in the config, which
    mmaction2's ``tools/train.py``/``test.py`` and ours read (``RUNNERS.build(cfg)``).
    """

    def _cpu_ranks(self) -> bool:
        """Whether this run is distributed over CPU ranks (a launcher, and torch sees no CUDA device)."""
        return self._launcher != 'none' and not torch.cuda.is_available()

    def setup_env(self, env_cfg: Dict) -> None:
        """MMEngine's ``setup_env``; on CPU ranks, the process group is started here first (``gloo`` only).

        Raises:
            RuntimeError: The config's backend needs CUDA and torch sees no CUDA device.
        """
        if self._cpu_ranks() and not is_distributed():
            dist_cfg = dict(env_cfg.get('dist_cfg', {}))
            backend = dist_cfg.pop('backend', 'nccl')
            if backend != CPU_BACKEND:
                visible = os.environ.get('CUDA_VISIBLE_DEVICES')
                raise RuntimeError(
                    f"env_cfg.dist_cfg.backend='{backend}' needs CUDA, but torch sees no CUDA device on this "
                    f"machine (CUDA_VISIBLE_DEVICES={visible!r}, torch {torch.__version__}). To train on CPUs, "
                    f"choose gloo explicitly: --cfg-options env_cfg.dist_cfg.backend={CPU_BACKEND}")
            start_cpu_process_group(self._launcher, backend, **dist_cfg)
        super().setup_env(env_cfg)  # MMEngine's: skips its own init_dist where a group is running

    def wrap_model(self, model_wrapper_cfg: Optional[Dict], model: torch.nn.Module) -> torch.nn.Module:
        """MMEngine's ``wrap_model``; on CPU ranks its default DDP wrapper is built without ``device_ids``."""
        if self._cpu_ranks() and model_wrapper_cfg is None:
            model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
                                     find_unused_parameters=self.cfg.get('find_unused_parameters', False))
        return super().wrap_model(model_wrapper_cfg, model)
