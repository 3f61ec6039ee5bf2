"""Install script for ga2clip_mmaction (GA2-CLIP as an MMAction2 plugin)."""
import os
import os.path as osp
import shutil

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# MMCV < 2.2 (mmaction2 1.2 asserts it, without declaring the dependency). Two distributions provide the same
# `mmcv` package: `mmcv-lite` (pure Python, all that recognition needs) and the full, compiled `mmcv` a GPU user
# may already have. Requiring one would make pip install it over the other, so neither is a hard requirement:
# choose with an extra (`pip install -e ".[lite]"` or `".[full]"`), or keep the one installed; importing
# ga2clip_mmaction without any MMCV fails with a message that says this.
MMCV_RANGE = '>=2.0.0,<2.2.0'


def read_version() -> str:
    """Read ``__version__`` from ``ga2clip_mmaction/version.py`` without importing it."""
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'ga2clip_mmaction', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


#: What OpenMMLab's `mim` reads from an installed package's `.mim` folder (as MMAction2 ships it): `mim search
#: ga2clip_mmaction` reads `.mim/model-index.yml` and the metafiles it imports, `mim train/test` `.mim/tools`.
MIM_FILES = ('configs', 'tools', 'model-index.yml')


class BuildPyWithMim(build_py):
    """``build_py`` that also copies ``configs/``, ``tools/`` and ``model-index.yml`` into the built package's
    ``ga2clip_mmaction/.mim`` (MMAction2's layout), so a wheel (``pip install .``) carries them. An editable install
    gets none: mim 0.3.9 looks for them under site-packages, where an editable install has no package folder."""

    def run(self) -> None:
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        root = osp.dirname(osp.abspath(__file__))
        mim = osp.join(self.build_lib, 'ga2clip_mmaction', '.mim')
        os.makedirs(mim, exist_ok=True)
        for name in MIM_FILES:
            src, dst = osp.join(root, name), osp.join(mim, name)
            if osp.isdir(dst):
                shutil.rmtree(dst)
            if osp.isdir(src):
                shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
            else:
                shutil.copyfile(src, dst)


setup(
    name='ga2clip_mmaction',
    version=read_version(),
    description='GA2-CLIP prompt tuning for video recognition as an MMAction2 plugin',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    # The method only: the demo (projects/ga2clip_demo: synthetic world, tiny CLIP weights, report) and the parity
    # harness (projects/ga2clip_parity) are packages of their own that `make setup` installs editable.
    packages=find_packages(include=['ga2clip_mmaction', 'ga2clip_mmaction.*']),
    package_data={'ga2clip_mmaction': ['models/clip_configs/*.json']},
    cmdclass={'build_py': BuildPyWithMim},
    include_package_data=True,
    python_requires='>=3.9',
    # Honest ranges: what the code needs. The verified pins live in requirements/constraints.txt.
    install_requires=[
        'torch>=2.6',  # safe_globals with (object, name) pairs, get_unsafe_globals_in_checkpoint
        'torchvision',
        'mmengine>=0.10.4,<0.11',
        'mmaction2>=1.2.0,<1.3',
        'open_clip_torch>=2.24,<4',
        'decord>=0.6.0',
        'numpy',
        'importlib_metadata',  # imported by mmaction2 1.2.0 without being declared
        'setuptools<82',  # mmengine 0.10.x imports pkg_resources
    ],
    extras_require={
        'lite': [f'mmcv-lite{MMCV_RANGE}'],
        'full': [f'mmcv{MMCV_RANGE}'],
        # hypothesis: fuzzed parsers; av: the data-path tests (tools/data/prepare_videos.py, KeyframePyAV*);
        # pytest-xdist: `make test` runs the suite on 2 processes (one per core of the CI machine)
        'tests': ['pytest>=7', 'hypothesis>=6.100', 'av>=12', 'pytest-xdist>=3.5'],
        'data': ['av>=12'],  # PyAV: prepare_videos, make_codec_corpus, KeyframePyAVInit/Decode
        'stats': ['scipy'],  # t intervals of evaluation.paired_difference
    },
    license='Apache-2.0',
)
