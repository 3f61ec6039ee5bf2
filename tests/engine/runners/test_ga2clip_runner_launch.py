"""GA2CLIPRunner: CPU ranks only where the config chooses gloo; nccl without CUDA fails clearly, before
training. (Two and three CPU ranks train through it in tests/tools/test_dist_launch.py and
tests/engine/hooks/test_preemption_hook.py.)"""
import os

import pytest
import torch
import torch.distributed as torch_dist

from ga2clip_mmaction.engine.runners import ga2clip_runner as dbr

no_cuda = pytest.mark.skipif(torch.cuda.is_available(), reason='torch sees CUDA: MMEngine\'s own path')


@no_cuda
def test_nccl_without_cuda_stops_before_training_naming_the_choice(toy_recognizer_config, tmp_path, monkeypatch):
    import tools.train as train
    monkeypatch.setenv('CUDA_VISIBLE_DEVICES', '')
    for key, value in dict(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT='1').items():
        monkeypatch.setenv(key, value)
    with pytest.raises(RuntimeError, match=r"backend='nccl' needs CUDA.*CUDA_VISIBLE_DEVICES=''.*"
                                           r'--cfg-options env_cfg.dist_cfg.backend=gloo'):
        train.main([toy_recognizer_config, '--work-dir', str(tmp_path), '--launcher', 'pytorch'])
    assert not torch_dist.is_initialized()


def test_the_configs_name_our_runner_and_nccl():
    from mmengine.config import Config
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    cfg = Config.fromfile(os.path.join(root, 'configs', '_base_', 'default_runtime.py'))
    assert cfg.runner_type == 'mmaction.GA2CLIPRunner' and cfg.env_cfg.dist_cfg.backend == 'nccl'
    from mmengine.registry import RUNNERS
    assert RUNNERS.get(cfg.runner_type) is dbr.GA2CLIPRunner


@pytest.mark.parametrize('launcher, env, expected', [
    ('slurm', dict(SLURM_PROCID='3', SLURM_NTASKS='4', SLURM_NODELIST='node[1-2]', SLURM_LOCALID='1',
                   MASTER_ADDR='10.0.0.1'), dict(RANK='3', WORLD_SIZE='4', LOCAL_RANK='1', MASTER_PORT='29500')),
    ('mpi', dict(OMPI_COMM_WORLD_RANK='2', OMPI_COMM_WORLD_SIZE='3', OMPI_COMM_WORLD_LOCAL_RANK='0',
                 MASTER_ADDR='10.0.0.1'), dict(RANK='2', WORLD_SIZE='3', LOCAL_RANK='0', MASTER_PORT='29500')),
])
def test_cpu_process_group_gets_the_launchers_rendezvous(launcher, env, expected, monkeypatch):
    for key in ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_PORT'):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    started = {}
    monkeypatch.setattr(dbr.torch_dist, 'init_process_group', lambda **kwargs: started.update(kwargs))
    dbr.start_cpu_process_group(launcher, timeout=5)
    assert started['backend'] == 'gloo' and started['timeout'].total_seconds() == 5
    assert {k: os.environ[k] for k in expected} == expected
