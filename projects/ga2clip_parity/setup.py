"""Install script for ga2clip_parity, the parity harness of ga2clip_mmaction (``make setup`` installs it editable)."""
from setuptools import find_packages, setup

setup(
    name='ga2clip_parity',
    version='0.1.0',
    description='Parity of ga2clip_mmaction with the released GA2-CLIP code: reference computation and check',
    packages=find_packages(include=['ga2clip_parity', 'ga2clip_parity.*']),
    python_requires='>=3.9',
    install_requires=['ga2clip_mmaction', 'torch'],
    license='Apache-2.0',
)
