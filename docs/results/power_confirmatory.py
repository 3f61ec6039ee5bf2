"""Power of the confirmatory design (docs/results/power.md) from the audit's variance components.

The paired HM difference of one run, ``d = mu + world + list(world) + seed(list)``, has per-world variance
``s2_world + s2_list / L + s2_seed / (L * S)`` once its ``L`` lists x ``S`` seeds are averaged; the worlds are
the replicates of a one-sample t-test. Power is exact (noncentral t, scipy).

Usage::

    python docs/results/power_confirmatory.py [--delta 3] [--power 0.8]
"""
import argparse
import math

from scipy import stats

#: The audit's variance components of the paired HM difference (HM points^2): world, list, seed.
COMPONENTS = dict(world=9.2, list=5.0, seed=21.4)
#: CPU seconds (one torch thread) per step, from the committed grid and ablation: a trained run's train + test
#: (4,415 s / 90 runs; the ablation 54 s), stage 1 (about half a run: 16 clips x 6 classes vs 16 x 12), zero-shot,
#: writing the world with its clips.
CPU_S = dict(run=50.0, stage1=25.0, zero_shot=10.0, world=12.0)
TRAINED_METHODS = 4  # IVLP, GA2-CLIP as released, kl anchor term, ViLT-CLIP


def world_sd(lists: int, seeds: int, comp: dict = COMPONENTS) -> float:
    """SD of one world's mean paired difference with ``lists`` x ``seeds`` runs."""
    return math.sqrt(comp['world'] + comp['list'] / lists + comp['seed'] / (lists * seeds))


def power(n: int, delta: float, sd: float, alpha: float) -> float:
    """Two-sided one-sample t-test power at effect ``delta`` with ``n`` replicates of SD ``sd``."""
    df = n - 1
    crit = stats.t.ppf(1 - alpha / 2, df)
    ncp = delta * math.sqrt(n) / sd
    return float(stats.nct.sf(crit, df, ncp) + stats.nct.cdf(-crit, df, ncp))


def n_for_power(delta: float, sd: float, alpha: float, target: float) -> int:
    """Smallest number of worlds with power >= ``target``."""
    n = 2
    while power(n, delta, sd, alpha) < target:
        n += 1
    return n


def mde(n: int, sd: float, alpha: float, target: float) -> float:
    """Smallest effect detected with power ``target`` by ``n`` worlds (bisection)."""
    lo, hi = 0.0, 100.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if power(n, mid, sd, alpha) < target else (lo, mid)
    return hi


def world_cpu_s(lists: int, seeds: int) -> float:
    """CPU seconds of one world: its data, stage 1, zero-shot and the trained runs."""
    return CPU_S['world'] + CPU_S['stage1'] + CPU_S['zero_shot'] + TRAINED_METHODS * lists * seeds * CPU_S['run']


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--delta', type=float, default=3.0)
    p.add_argument('--power', type=float, default=0.8)
    args = p.parse_args()
    print('| lists x seeds per world | SD of a world\'s difference | worlds for 80 % at alpha .05 | CPU h | '
          'worlds at alpha .05/3 (Holm, worst step) | CPU h |')
    print('|---|---|---|---|---|---|')
    for lists, seeds in [(1, 1), (1, 2), (2, 1), (3, 1), (3, 2)]:
        sd = world_sd(lists, seeds)
        n1 = n_for_power(args.delta, sd, 0.05, args.power)
        n3 = n_for_power(args.delta, sd, 0.05 / 3, args.power)
        c = world_cpu_s(lists, seeds) / 3600
        print(f'| {lists} x {seeds} | {sd:.2f} | {n1} | {n1 * c:.1f} | {n3} | {n3 * c:.1f} |')
    sd = world_sd(1, 1)
    print()
    for n in (30, 35, 40):
        print(f'N = {n} worlds (1 x 1): power at {args.delta:g} HM {power(n, args.delta, sd, 0.05):.2f} '
              f'(alpha .05), {power(n, args.delta, sd, 0.05 / 3):.2f} (alpha .05/3); detectable at 80 %: '
              f'{mde(n, sd, 0.05, args.power):.1f} / {mde(n, sd, 0.05 / 3, args.power):.1f} HM')
    old = world_sd(3, 2)
    print(f'\nThe earlier grid (3 worlds x 3 lists x 2 seeds, SD {old:.2f}): power at 3 HM '
          f'{power(3, 3, old, 0.05):.2f}; detectable at 80 %: {mde(3, old, 0.05, 0.8):.1f} HM '
          f'(alpha .05), {mde(3, old, 0.05 / 7, 0.8):.1f} (alpha .05/7)')
    print(f'With the audit\'s SD 3.6 and 3 worlds: detectable {mde(3, 3.6, 0.05, 0.8):.1f} HM (alpha .05), '
          f'{mde(3, 3.6, 0.05 / 7, 0.8):.1f} (.05/7); power at 3 HM {power(3, 3, 3.6, 0.05):.2f}')


if __name__ == '__main__':
    main()
