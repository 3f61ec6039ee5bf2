"""Install script for ga2clip_demo, the embedded demo of ga2clip_mmaction (``make setup`` installs it editable)."""
from setuptools import find_packages, setup

setup(
    name='ga2clip_demo',
    version='0.1.0',
    description='The embedded demo of ga2clip_mmaction: synthetic video world, tiny CLIP, grid of runs, report',
    packages=find_packages(include=['ga2clip_demo', 'ga2clip_demo.*']),
    python_requires='>=3.9',
    install_requires=[
        'ga2clip_mmaction',
        'scipy',  # clustered intervals and t quantiles of the demo's statistics (evaluation/clustered.py)
        'filelock',  # the demo's per-run and per-world locks (steps.py)
    ],
    extras_require={
        'plots': ['matplotlib>=3.5'],  # the results / ablation chart (evaluation/chart.py)
    },
    license='Apache-2.0',
)
