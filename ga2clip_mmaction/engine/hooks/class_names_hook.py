"""Switch the classification head's class list for validation and testing."""
from typing import List, Optional, Sequence, Union

from mmaction.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...utils.io import resolve_class_names

ClassNames = Union[str, Sequence[str]]


@HOOKS.register_module()
class ClassNamesHook(Hook):
    """Give the head one class list for training, another for validation and testing.

    A base-to-novel run trains on the base names, may validate on them too, and tests on
    ``base names + novel names`` in one pass (with :class:`BaseNovelMetric`). The hook calls
    ``model.cls_head.set_class_names(names)`` (the model unwrapped from DDP) before each
    validation / test and restores the training list after it and before training.

    Example:
        >>> custom_hooks = [dict(type='ClassNamesHook',
        ...                      test=['data/labels/hmdb_51_base_labels.csv',
        ...                            'data/labels/hmdb_51_novel_labels.csv'])]

    Args:
        val (str | Sequence[str] | list[str | Sequence[str]], optional): Class names for
            validation: a list of names, a class-name file (see
            :func:`ga2clip_mmaction.utils.io.read_class_names`), or a list of files whose
            lists are concatenated in order. None keeps the training list. Defaults to None.
        test (same as ``val``, optional): Class names for testing. Defaults to None.
        train (same as ``val``, optional): The training list to restore. None takes the
            head's ``classnames`` when the run starts. Defaults to None.
    """
    priority = 'NORMAL'

    def __init__(self,
                 val: Optional[ClassNames] = None,
                 test: Optional[ClassNames] = None,
                 train: Optional[ClassNames] = None) -> None:
        self.val_names = self._resolve(val)
        self.test_names = self._resolve(test)
        self.train_names = self._resolve(train)

    @staticmethod
    def _resolve(names) -> Optional[List[str]]:
        """Names, a file, or a list of files / name lists (concatenated); None stays None."""
        if names is None:
            return None
        if isinstance(names, str):
            return resolve_class_names(names)
        names = list(names)
        is_part = [isinstance(n, (list, tuple)) or str(n).endswith(('.csv', '.txt'))
                   for n in names]
        if names and all(is_part):
            return [name for part in names for name in resolve_class_names(part)]
        return resolve_class_names(names)

    @staticmethod
    def _head(runner):
        """The model's ``cls_head`` (DDP unwrapped), checked for ``set_class_names``."""
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        head = getattr(model, 'cls_head', None)
        if head is None or not callable(getattr(head, 'set_class_names', None)):
            raise TypeError(f'ClassNamesHook needs model.cls_head.set_class_names(names); '
                            f'{type(model).__name__} has no such head')
        return head

    def _switch(self, runner, names: Optional[List[str]]) -> None:
        if names is not None:
            self._head(runner).set_class_names(list(names))

    def before_run(self, runner) -> None:
        """Check the head and remember the training list."""
        head = self._head(runner)
        if self.train_names is None:
            names = getattr(head, 'classnames', None)
            if names is None:
                raise AttributeError(f'{type(head).__name__} has no `classnames`; pass '
                                     f'ClassNamesHook(train=...)')
            self.train_names = list(names)

    def before_train(self, runner) -> None:
        """Train on the training list."""
        self._switch(runner, self.train_names)

    def before_val(self, runner) -> None:
        """Validate on the validation list."""
        self._switch(runner, self.val_names)

    def after_val(self, runner) -> None:
        """Back to the training list."""
        if self.val_names is not None:
            self._switch(runner, self.train_names)

    def before_test(self, runner) -> None:
        """Test on the test list."""
        self._switch(runner, self.test_names)

    def after_test(self, runner) -> None:
        """Back to the training list."""
        if self.test_names is not None:
            self._switch(runner, self.train_names)
