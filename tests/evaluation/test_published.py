"""Published numbers: transcribed values are self-consistent and looked up by key."""
import pytest

from ga2clip_mmaction.evaluation.metrics.base_novel_metric import harmonic_mean
from ga2clip_mmaction.evaluation.published import (BASE_TO_NOVEL, published_base_to_novel,
                                                   published_few_shot)


@pytest.mark.parametrize('dataset', sorted(BASE_TO_NOVEL))
def test_published_hm_is_the_hm_of_published_base_and_novel(dataset):
    row = BASE_TO_NOVEL[dataset]
    assert harmonic_mean(row['base'], row['novel']) == pytest.approx(row['hm'], abs=0.06)


def test_lookups():
    assert published_base_to_novel('ucf101') == dict(base=96.8, novel=75.2, hm=84.6)
    assert published_base_to_novel('k600') is None
    assert published_few_shot('ssv2', 4) == 9.9
    assert published_few_shot('hmdb51', 3) is None
    assert published_few_shot(None, 2) is None
