"""Run ONNX Runtime's GRU operator with MATLAB-layout weights (reference for forward tests).

ONNX orders gate blocks z, r, h; MATLAB orders r, z, h. ``matlab_to_onnx_gates`` is the
one place that permutes them. Mapping of ResetGateMode:
  after-multiplication                -> linear_before_reset=1, Wb = b, Rb = 0
  recurrent-bias-after-multiplication -> linear_before_reset=1, Wb = b[:3H], Rb = b[3H:]
  before-multiplication               -> linear_before_reset=0, Wb = b, Rb = 0
"""

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper

_ACT = {"sigmoid": "Sigmoid", "hard-sigmoid": "HardSigmoid", "tanh": "Tanh",
        "softsign": "Softsign"}


def matlab_to_onnx_gates(a, h):
    """Reorder row blocks [r; z; h] -> [z; r; h]."""
    return np.concatenate([a[h:2 * h], a[:h], a[2 * h:3 * h]], axis=0)


def onnx_gru(x_tbd, W, R, b, h0_bh, mode, gate, state):
    """x (T, B, D) float32 -> (Y (T, B, H), Y_h (B, H)) from ONNX Runtime."""
    T, B, D = x_tbd.shape
    H = R.shape[1]
    b = np.asarray(b).reshape(-1)
    wb = b[:3 * H]
    rb = b[3 * H:] if mode == "recurrent-bias-after-multiplication" else np.zeros(3 * H)
    Wo = matlab_to_onnx_gates(W, H)[None].astype(np.float32)
    Ro = matlab_to_onnx_gates(R, H)[None].astype(np.float32)
    Bo = np.concatenate([matlab_to_onnx_gates(wb, H), matlab_to_onnx_gates(rb, H)])[None]
    node = helper.make_node(
        "GRU", ["X", "W", "R", "B", "", "initial_h"], ["Y", "Y_h"], hidden_size=H,
        linear_before_reset=0 if mode == "before-multiplication" else 1,
        activations=[_ACT[gate], _ACT[state]],
        activation_alpha=[0.2, 0.2], activation_beta=[0.5, 0.5])
    graph = helper.make_graph(
        [node], "gru",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in
         (("X", [T, B, D]), ("W", [1, 3 * H, D]), ("R", [1, 3 * H, H]), ("B", [1, 6 * H]),
          ("initial_h", [1, B, H]))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, 1, B, H]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [1, B, H])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y, yh = sess.run(None, {"X": x_tbd.astype(np.float32), "W": Wo, "R": Ro,
                            "B": Bo.astype(np.float32),
                            "initial_h": h0_bh[None].astype(np.float32)})
    return y[:, 0], yh[0]


def matlab_to_onnx_lstm_gates(a, h):
    """Reorder row blocks [i; f; g; o] (MATLAB, PyTorch) -> [i; o; f; c] (ONNX)."""
    return np.concatenate([a[:h], a[3 * h:4 * h], a[h:2 * h], a[2 * h:3 * h]], axis=0)


def onnx_lstm(x_tbd, W, R, b, h0_bh, c0_bh, gate, state):
    """ONNX Runtime's LSTM operator with MATLAB-layout weights; one direction (4H rows)
    or bidirectional (8H rows: forward then backward, states (B, 2H) [fwd, bwd]).
    Returns (Y (T, B, dirs*H) as [fwd, bwd] channels, Y_h (B, dirs*H), Y_c (B, dirs*H))."""
    T, B, D = x_tbd.shape
    H = R.shape[1]
    dirs = R.shape[0] // (4 * H)
    b = np.asarray(b).reshape(-1)

    def per_dir(a, k):
        return matlab_to_onnx_lstm_gates(a[4 * H * k:4 * H * (k + 1)], H)

    Wo = np.stack([per_dir(W, k) for k in range(dirs)]).astype(np.float32)
    Ro = np.stack([per_dir(R, k) for k in range(dirs)]).astype(np.float32)
    Bo = np.stack([np.concatenate([per_dir(b, k), np.zeros(4 * H)])
                   for k in range(dirs)]).astype(np.float32)
    h0 = np.stack([h0_bh[:, H * k:H * (k + 1)] for k in range(dirs)]).astype(np.float32)
    c0 = np.stack([c0_bh[:, H * k:H * (k + 1)] for k in range(dirs)]).astype(np.float32)
    node = helper.make_node(
        "LSTM", ["X", "W", "R", "B", "", "initial_h", "initial_c"], ["Y", "Y_h", "Y_c"],
        hidden_size=H, direction="bidirectional" if dirs == 2 else "forward",
        activations=[_ACT[gate], _ACT[state], _ACT[state]] * dirs,
        activation_alpha=[0.2] * 3 * dirs, activation_beta=[0.5] * 3 * dirs)   # taken in turn
        # by the activations that have parameters (HardSigmoid), as for the GRU above
    graph = helper.make_graph(
        [node], "lstm",
        [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in
         (("X", [T, B, D]), ("W", [dirs, 4 * H, D]), ("R", [dirs, 4 * H, H]),
          ("B", [dirs, 8 * H]), ("initial_h", [dirs, B, H]), ("initial_c", [dirs, B, H]))],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [T, dirs, B, H]),
         helper.make_tensor_value_info("Y_h", TensorProto.FLOAT, [dirs, B, H]),
         helper.make_tensor_value_info("Y_c", TensorProto.FLOAT, [dirs, B, H])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 14)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    y, yh, yc = sess.run(None, {"X": x_tbd.astype(np.float32), "W": Wo, "R": Ro, "B": Bo,
                                "initial_h": h0, "initial_c": c0})
    return (np.concatenate([y[:, k] for k in range(dirs)], axis=-1),
            np.concatenate(list(yh), axis=-1), np.concatenate(list(yc), axis=-1))
