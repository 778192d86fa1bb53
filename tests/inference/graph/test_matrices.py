"""Matrices-family ops against loops and hand cases."""

import itertools

import numpy as np
import pytest

from graph_helpers import run_op

RNG = np.random.default_rng(11)
F32 = np.float32


def rand(*shape):
    return RNG.standard_normal(shape).astype(F32)


def ref_matmul(a, b):
    """Loops over rows and columns (2-D only)."""
    out = np.zeros((a.shape[0], b.shape[1]))
    for i, j in itertools.product(range(a.shape[0]), range(b.shape[1])):
        out[i, j] = sum(float(a[i, k]) * float(b[k, j]) for k in range(a.shape[1]))
    return out


@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_matmul_transposes(ta, tb):
    a, b = rand(3, 4), rand(4, 5)
    a_in, b_in = (a.T.copy() if ta else a), (b.T.copy() if tb else b)
    got = run_op("MatMul", [a_in, b_in], transpose_a=ta, transpose_b=tb)
    assert got.dtype == F32
    np.testing.assert_allclose(got, ref_matmul(a, b), rtol=1e-5, atol=1e-5)
    for op in ("BatchMatMul", "BatchMatMulV2"):
        got = run_op(op, [a_in[None], b_in[None]], adj_x=ta, adj_y=tb)
        np.testing.assert_allclose(got[0], ref_matmul(a, b), rtol=1e-5, atol=1e-5)


def test_batch_matmul_broadcasts_batch_dims():
    a, b = rand(2, 1, 3, 4), rand(5, 4, 2)
    got = run_op("BatchMatMulV2", [a, b], adj_y=False)
    assert got.shape == (2, 5, 3, 2)
    for i, j in itertools.product(range(2), range(5)):
        np.testing.assert_allclose(got[i, j], ref_matmul(a[i, 0], b[j]), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="do not broadcast"):
        run_op("BatchMatMulV2", [rand(2, 3, 4), rand(3, 4, 2)])
    with pytest.raises(ValueError, match="inner dimensions"):
        run_op("MatMul", [rand(3, 4), rand(3, 4)])
    with pytest.raises(ValueError, match="rank 2"):
        run_op("MatMul", [rand(4), rand(4, 2)])


def test_int32_matmul_stays_int32_and_mixed_is_float32():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, dtype=np.int32).reshape(3, 2)
    got = run_op("MatMul", [a, b])
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, [[10, 13], [28, 40]])
    assert run_op("MatMul", [a, b.astype(F32)]).dtype == F32


@pytest.mark.parametrize("act", [None, "Relu", "Relu6", "Elu", "LeakyRelu", "Sigmoid", "Prelu"])
def test_fused_matmul_bias_and_activation(act):
    a, b, bias, alpha = rand(3, 4), rand(5, 4), rand(5), np.abs(rand(5))
    args = [bias, alpha] if act == "Prelu" else [bias]
    got = run_op("_FusedMatMul", [a, b, *args], transpose_b=True, fused_ops=["BiasAdd", act] if act else ["BiasAdd"],
                 num_args=len(args), leakyrelu_alpha=0.1)
    y = ref_matmul(a, b.T) + bias
    want = {None: y, "Relu": np.maximum(y, 0), "Relu6": np.clip(y, 0, 6),
            "Elu": np.where(y >= 0, y, np.exp(y) - 1), "LeakyRelu": np.where(y < 0, 0.1 * y, y),
            "Sigmoid": 1 / (1 + np.exp(-y)), "Prelu": np.where(y < 0, alpha * y, y)}[act]
    assert got.dtype == F32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_fused_matmul_argument_errors():
    a, b, bias = rand(2, 3), rand(3, 4), rand(4)
    with pytest.raises(ValueError, match="needs 2"):
        run_op("_FusedMatMul", [a, b, bias], fused_ops=["BiasAdd", "Prelu"], num_args=1)
    with pytest.raises(ValueError, match="not supported"):
        run_op("_FusedMatMul", [a, b, bias], fused_ops=["FusedBatchNorm"], num_args=1)


def test_transpose_against_index_loops_and_errors():
    x = RNG.integers(0, 100, (2, 3, 4)).astype(np.int32)
    got = run_op("Transpose", [x, np.array([2, 0, 1])])
    assert got.dtype == np.int32 and got.shape == (4, 2, 3)
    for i, j, k in itertools.product(range(2), range(3), range(4)):
        assert got[k, i, j] == x[i, j, k]
    same = run_op("Transpose", [x, np.array([0, 1, 2])])
    np.testing.assert_array_equal(same, x)
    assert not np.shares_memory(same, x)
    assert run_op("Transpose", [np.float32(3), np.array([], np.int32)]).shape == ()
    assert run_op("Transpose", [np.zeros((0, 2), F32), np.array([1, 0])]).shape == (2, 0)
    with pytest.raises(ValueError, match="permutation"):
        run_op("Transpose", [x, np.array([0, 0, 1])])


@pytest.mark.parametrize("eq,shapes", [("ij,jk->ik", [(2, 3), (3, 4)]), ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
                                       ("ij->ji", [(2, 3)]), ("ij,ij->", [(2, 3), (2, 3)]),
                                       ("i,j->ij", [(3,), (4,)]), ("bhqd,bhkd->bhqk", [(1, 2, 3, 4), (1, 2, 5, 4)])])
def test_einsum_against_loops(eq, shapes):
    xs = [rand(*s) for s in shapes]
    got = run_op("Einsum", xs, equation=eq)
    ins, out = eq.split("->")
    terms = ins.split(",")
    sizes = {ch: s for t, x in zip(terms, xs) for ch, s in zip(t, x.shape)}
    letters = sorted(sizes)
    want = np.zeros([sizes[ch] for ch in out])
    for idx in itertools.product(*(range(sizes[ch]) for ch in letters)):
        pos = dict(zip(letters, idx))
        prod = 1.0
        for t, x in zip(terms, xs):
            prod *= float(x[tuple(pos[ch] for ch in t)])
        want[tuple(pos[ch] for ch in out)] += prod
    assert got.dtype == F32
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
    assert not any(np.shares_memory(got, x) for x in xs)
    with pytest.raises(ValueError, match="->"):
        run_op("Einsum", xs, equation=eq.replace("->", ""))


def test_matrix_band_part_reads_num_upper_from_input_1_as_tfjs():
    a = np.arange(16, dtype=F32).reshape(4, 4) + 1
    got = run_op("MatrixBandPart", [a, np.array(1, np.int32), np.array(0, np.int32)])
    keep = [[1 if -1 <= j - i <= 1 else 0 for j in range(4)] for i in range(4)]
    np.testing.assert_array_equal(got, a * np.array(keep, F32))
    np.testing.assert_array_equal(run_op("MatrixBandPart", [a, np.array(-1), np.array(0)]), a)


def test_matrices_ops_match_tfjs():
    from tfjs_oracle import check_against_tfjs

    a, b = rand(3, 4), rand(4, 5)
    ops = [
        ("MatMul", [a, b], dict(transpose_a=False, transpose_b=False)),
        ("MatMul", [a.T.copy(), b.T.copy()], dict(transpose_a=True, transpose_b=True)),
        ("MatMul", [np.arange(6, dtype=np.int32).reshape(2, 3), np.arange(6, dtype=np.int32).reshape(3, 2)], {}),
        ("BatchMatMulV2", [rand(1, 3, 4), rand(5, 4, 2)], dict(adj_x=False, adj_y=False)),  # TF.js mis-sizes (2,1)x(5)
        ("BatchMatMulV2", [rand(2, 4, 3), rand(2, 5, 4)], dict(adj_x=True, adj_y=True)),
        ("BatchMatMul", [rand(2, 3, 4), rand(2, 4, 2)], {}),
        ("_FusedMatMul", [a, b, rand(5)], dict(fused_ops=["BiasAdd", "Relu"], num_args=1)),
        ("_FusedMatMul", [a, b.T.copy(), rand(5), np.abs(rand(5))], dict(transpose_b=True, num_args=2,
                                                                       fused_ops=["BiasAdd", "Prelu"])),
        ("_FusedMatMul", [a, b, rand(5)], dict(fused_ops=["BiasAdd", "LeakyRelu"], num_args=1, leakyrelu_alpha=0.1)),
        ("Transpose", [rand(2, 3, 4), np.array([2, 0, 1], np.int32)], {}),
        ("Transpose", [np.arange(6, dtype=np.int32).reshape(2, 3), np.array([1, 0], np.int32)], {}),
        ("Einsum", [rand(2, 3), rand(3, 4)], dict(equation="ij,jk->ik")),
        ("Einsum", [rand(1, 2, 3, 4), rand(1, 2, 5, 4)], dict(equation="bhqd,bhkd->bhqk")),
        ("MatrixBandPart", [rand(4, 5), np.array(1, np.int32), np.array(2, np.int32)], {}),
    ]
    check_against_tfjs(ops, rtol=1e-5, atol=1e-6)
