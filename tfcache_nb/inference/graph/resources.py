"""TensorArrays and TensorLists: the mutable containers of TF control flow, as TF.js keeps them.

A graph passes them around as handles: a 0-d object array holding the container, so that
Identity, Enter, Switch and Merge carry a handle like any tensor. Their rules (a TensorArray
element written once, read once when ``clear_after_read``; ``size`` is the number written;
element shapes with -1 matching anything) follow TF.js's tensor_array.ts / tensor_list.ts.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .tfjs_dtypes import NUMPY as NUMPY_DTYPES

#: an element shape: a list of sizes (-1 unknown), or None for an unknown rank
Shape = "list[int] | None"


def make_handle(resource: Any) -> np.ndarray:
    handle = np.empty((), dtype=object)
    handle[()] = resource
    return handle


def resource_of(handle: Any, kind: type) -> Any:
    value = handle[()] if isinstance(handle, np.ndarray) and handle.dtype == object and handle.ndim == 0 else None
    if not isinstance(value, kind):
        raise ValueError(f"input is not a {kind.__name__} handle")
    return value


def shape_value(value: Any) -> list[int] | None:
    """An element shape read from a tensor input: a scalar (-1) means an unknown rank."""
    if value is None:
        return None
    a = np.asarray(value)
    if a.ndim == 0:
        return None
    return [int(v) for v in a.ravel()]


def check_shapes_match(a: list[int] | None, b: Sequence[int] | None, what: str) -> None:
    if a is None or b is None:
        return
    if len(a) != len(b) or any(x >= 0 and y >= 0 and x != y for x, y in zip(a, b)):
        raise ValueError(f"{what}: shapes {list(a)} and {list(b)} do not match")


def _merge(a: list[int] | None, b: list[int] | None) -> list[int] | None:
    if a is None:
        return b
    if b is None:
        return a
    if len(a) != len(b):
        raise ValueError(f"incompatible ranks {a} and {b}")
    out = []
    for x, y in zip(a, b):
        if x >= 0 and y >= 0 and x != y:
            raise ValueError(f"incompatible shapes {a} and {b}")
        out.append(x if x >= 0 else y)
    return out


def infer_element_shape(list_shape: list[int] | None, tensors: Sequence[np.ndarray | None],
                        shape: list[int] | None) -> list[int]:
    partial = _merge(list_shape, shape)
    if partial is None or any(d < 0 for d in partial):
        present = [t for t in tensors if t is not None]
        if not present:
            raise ValueError(f"cannot tell the element shape {partial} of an empty list")
        for t in present:
            partial = _merge(list(t.shape), partial)
    assert partial is not None
    if any(d < 0 for d in partial):
        raise ValueError(f"element shape {partial} is not fully defined")
    return partial


def _check_dtype(tensor: np.ndarray, dtype: str, what: str) -> None:
    if np.asarray(tensor).dtype != NUMPY_DTYPES.get(dtype, np.dtype(object)):
        raise ValueError(f"{what}: a {np.asarray(tensor).dtype} tensor in a {dtype} container")


class TensorArray:
    """TensorArrayV3: ``size`` slots written once each (more when ``dynamic_size``)."""

    def __init__(self, name: str, dtype: str, size: int, element_shape: list[int] | None,
                 dynamic_size: bool, clear_after_read: bool):
        self.name, self.dtype, self.max_size = name, dtype, size
        self.element_shape = element_shape
        self.dynamic_size, self.clear_after_read = dynamic_size, clear_after_read
        self.tensors: list[dict] = []
        self.closed = False

    def size(self) -> int:
        return len(self.tensors)

    def _open(self) -> None:
        if self.closed:
            raise ValueError(f"TensorArray {self.name!r} is already closed")

    def read(self, index: int) -> np.ndarray:
        self._open()
        if index < 0 or index >= self.size():
            raise IndexError(f"TensorArray read at index {index}, but its size is {self.size()}")
        slot = self.tensors[index]
        if slot.get("cleared"):
            raise ValueError(f"TensorArray {self.name!r} index {index} was cleared by an earlier read")
        if "tensor" not in slot:
            raise ValueError(f"TensorArray {self.name!r} index {index} was never written")
        if self.clear_after_read:
            slot["cleared"] = True
        slot["read"] = True
        return slot["tensor"]

    def write(self, index: int, tensor: np.ndarray) -> None:
        self._open()
        if index < 0 or (not self.dynamic_size and index >= self.max_size):
            raise IndexError(f"TensorArray write at index {index}, but its size is {self.max_size}")
        _check_dtype(tensor, self.dtype, f"TensorArray {self.name!r}")
        if self.size() == 0 and not self.element_shape:
            self.element_shape = list(tensor.shape)
        check_shapes_match(self.element_shape, tensor.shape, f"TensorArray {self.name!r} write")
        while len(self.tensors) <= index:
            self.tensors.append({})
        slot = self.tensors[index]
        if slot.get("read") or slot.get("written"):
            raise ValueError(f"TensorArray {self.name!r} index {index} was already "
                             f"{'read' if slot.get('read') else 'written'}")
        slot.update(tensor=tensor, written=True)

    def gather(self, indices: Sequence[int] | None, dtype: str | None,
               element_shape: list[int] | None = None) -> np.ndarray:
        """Elements stacked; an empty gather takes its element shape from the array, else from
        ``element_shape`` (the op's attribute) when that is fully known."""
        if dtype and dtype != self.dtype:
            raise ValueError(f"TensorArray holds {self.dtype}, not {dtype}")
        indices = list(range(self.size())) if indices is None else list(indices)[:self.size()]
        if not indices:
            shape = self.element_shape
            if not shape and element_shape and all(d >= 0 for d in element_shape):
                shape = element_shape
            return np.zeros([0, *(shape or [])], NUMPY_DTYPES[self.dtype])
        tensors = [self.read(i) for i in indices]
        check_shapes_match(self.element_shape, tensors[0].shape, "TensorArray gather")
        return np.stack(tensors)

    def concat(self, dtype: str | None) -> np.ndarray:
        if dtype and dtype != self.dtype:
            raise ValueError(f"TensorArray holds {self.dtype}, not {dtype}")
        if self.size() == 0:
            return np.zeros([0, *(self.element_shape or [])], NUMPY_DTYPES[self.dtype])
        tensors = [self.read(i) for i in range(self.size())]
        return np.concatenate(tensors, axis=0)

    def scatter(self, indices: Sequence[int], tensor: np.ndarray) -> None:
        _check_dtype(tensor, self.dtype, f"TensorArray {self.name!r}")
        if len(indices) != tensor.shape[0]:
            raise ValueError(f"scatter of {tensor.shape[0]} rows to {len(indices)} indices")
        if indices and not self.dynamic_size and max(indices) >= self.max_size:
            raise IndexError(f"scatter index {max(indices)} is past the size {self.max_size}")
        for i, index in enumerate(indices):
            self.write(int(index), tensor[i])

    def split(self, lengths: Sequence[int], tensor: np.ndarray) -> None:
        _check_dtype(tensor, self.dtype, f"TensorArray {self.name!r}")
        total = int(sum(lengths))
        if tensor.ndim == 0 or total != tensor.shape[0]:
            raise ValueError(f"split lengths sum to {total}, but the tensor has shape {list(tensor.shape)}")
        if not self.dynamic_size and len(lengths) != self.max_size:
            raise ValueError(f"split into {len(lengths)} parts a TensorArray of size {self.max_size}")
        starts = np.cumsum([0, *lengths])
        for i, n in enumerate(lengths):
            self.write(i, tensor[starts[i]:starts[i] + n])

    def close(self) -> None:
        self.tensors = []
        self.closed = True


class TensorList:
    """The TensorList ops' list (TF.js keeps it mutable: SetItem changes the list in place)."""

    def __init__(self, tensors: list[np.ndarray | None], element_shape: list[int] | None, dtype: str,
                 max_num_elements: int = -1):
        for t in tensors:
            if t is not None:
                _check_dtype(t, dtype, "TensorList")
                check_shapes_match(element_shape, t.shape, "TensorList")
        self.tensors = tensors
        self.element_shape = element_shape
        self.dtype = dtype
        self.max_num_elements = max_num_elements

    def size(self) -> int:
        return len(self.tensors)

    def _dtype(self, dtype: str) -> None:
        if dtype != self.dtype:
            raise ValueError(f"the list holds {self.dtype}, not {dtype}")

    def _element(self, index: int) -> np.ndarray:
        tensor = self.tensors[index]
        if tensor is None:
            raise ValueError(f"list element {index} was never set")
        return tensor

    def stack(self, shape: list[int] | None, dtype: str, num_elements: int = -1) -> np.ndarray:
        self._dtype(dtype)
        if num_elements != -1 and self.size() != num_elements:
            raise ValueError(f"expected a list of {num_elements} elements, it has {self.size()}")
        check_shapes_match(shape, self.element_shape, "TensorList stack")
        out_shape = infer_element_shape(self.element_shape, self.tensors, shape)
        if not self.tensors:
            return np.zeros([0, *out_shape], NUMPY_DTYPES[dtype])
        return np.stack([self._element(i).reshape(out_shape) for i in range(self.size())])

    def pop_back(self, shape: list[int] | None, dtype: str) -> np.ndarray:
        self._dtype(dtype)
        if not self.tensors:
            raise ValueError("pop from an empty list")
        out_shape = infer_element_shape(self.element_shape, self.tensors, shape)
        tensor = self.tensors.pop()
        if tensor is None:
            raise ValueError("popped an element that was never set")
        return tensor.reshape(out_shape)

    def push_back(self, tensor: np.ndarray) -> None:
        _check_dtype(tensor, self.dtype, "TensorList push")
        check_shapes_match(list(tensor.shape), self.element_shape, "TensorList push")
        if self.max_num_elements == self.size():
            raise ValueError("push into a full list")
        self.tensors.append(tensor)

    def resize(self, size: int) -> "TensorList":
        if size < 0:
            raise ValueError(f"TensorListResize to a negative size {size}")
        if self.max_num_elements != -1 and size > self.max_num_elements:
            raise ValueError(f"TensorListResize to {size}, past the list's maximum {self.max_num_elements}")
        tensors = (self.tensors + [None] * size)[:size]
        return TensorList(tensors, self.element_shape, self.dtype, self.max_num_elements)

    def get_item(self, index: int, shape: list[int] | None, dtype: str) -> np.ndarray:
        self._dtype(dtype)
        if index < 0 or index >= self.size():
            raise IndexError(f"list element {index} of a list of {self.size()}")
        tensor = self._element(index)
        check_shapes_match(list(tensor.shape), shape, "TensorList get")
        return tensor.reshape(infer_element_shape(self.element_shape, self.tensors, shape))

    def set_item(self, index: int, tensor: np.ndarray) -> None:
        _check_dtype(tensor, self.dtype, "TensorList set")
        if index < 0 or (self.max_num_elements != -1 and index >= self.max_num_elements):
            raise IndexError(f"list element {index} of a list of at most {self.max_num_elements}")
        check_shapes_match(self.element_shape, tensor.shape, "TensorList set")
        while len(self.tensors) <= index:
            self.tensors.append(None)
        self.tensors[index] = tensor

    def gather(self, indices: Sequence[int], dtype: str, shape: list[int] | None) -> np.ndarray:
        self._dtype(dtype)
        check_shapes_match(self.element_shape, shape, "TensorList gather")
        indices = list(indices)[:self.size()]
        out_shape = infer_element_shape(self.element_shape, self.tensors, shape)
        if not indices:
            return np.zeros([0, *out_shape], NUMPY_DTYPES[dtype])
        return np.stack([self._element(int(i)).reshape(out_shape) for i in indices])

    def concat(self, dtype: str | None, shape: list[int] | None) -> np.ndarray:
        """The elements joined along their first axis (which may differ between elements, as in
        TensorFlow; TF.js would reshape every element to one shape and fail)."""
        if dtype:
            self._dtype(dtype)
        tensors = [self._element(i) for i in range(self.size())]
        for t in tensors:
            if t.ndim == 0:
                raise ValueError("TensorListConcat needs elements of rank 1 or more")
            check_shapes_match(None if shape is None else [-1, *shape[1:]], t.shape, "TensorList concat")
        if not tensors:
            rest = (shape or self.element_shape or [0])[1:]
            if any(d < 0 for d in rest):
                raise ValueError(f"cannot tell the element shape {shape} of an empty list")
            return np.zeros([0, *rest], NUMPY_DTYPES[self.dtype])
        return np.concatenate(tensors, axis=0)


def list_from_tensor(tensor: np.ndarray, shape: list[int] | None, dtype: str) -> TensorList:
    if tensor.ndim < 1:
        raise ValueError(f"a list is made from a tensor of rank 1 or more, not shape {list(tensor.shape)}")
    _check_dtype(tensor, dtype, "TensorListFromTensor")
    check_shapes_match(list(tensor.shape[1:]), shape, "TensorListFromTensor")
    return TensorList(list(tensor), shape, dtype)


def list_scatter(tensor: np.ndarray, indices: Sequence[int], shape: list[int] | None,
                 num_elements: int = -1) -> TensorList:
    if len(indices) != tensor.shape[0]:
        raise ValueError(f"scatter of {tensor.shape[0]} rows to {len(indices)} indices")
    if indices and num_elements not in (-1, None) and max(indices) >= num_elements:
        raise IndexError(f"scatter index {max(indices)} is past the list size {num_elements}")
    dtype = {np.dtype(np.float32): "float32", np.dtype(np.int32): "int32", np.dtype(np.bool_): "bool"}.get(
        tensor.dtype, "float32")
    out = TensorList([], shape, dtype, -1 if num_elements is None else num_elements)
    for i, index in enumerate(indices):
        out.set_item(int(index), tensor[i])
    return out


def list_split(tensor: np.ndarray, lengths: Sequence[int], shape: list[int] | None) -> TensorList:
    total = int(sum(lengths))
    if tensor.ndim == 0 or total != tensor.shape[0]:
        raise ValueError(f"split lengths sum to {total}, but the tensor has shape {list(tensor.shape)}")
    starts = np.cumsum([0, *lengths])
    dtype = {np.dtype(np.float32): "float32", np.dtype(np.int32): "int32", np.dtype(np.bool_): "bool"}.get(
        tensor.dtype, "float32")
    return TensorList([tensor[starts[i]:starts[i] + n] for i, n in enumerate(lengths)], shape, dtype)
