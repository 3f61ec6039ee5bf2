"""Speed, memory, FLOPs and data-path measurements: the code of ``tools/benchmark.py`` (:mod:`.speed`) and
``tools/benchmark_data.py`` (:mod:`.data_loading`), also used by the GPU check (``.dev_scripts/``). Imported by
them, not by ``import ga2clip_mmaction``."""
