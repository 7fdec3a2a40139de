#!/usr/bin/env python3
"""Convert an XGBoost JSON model (gbtree, numerical splits) to ONNX: one ai.onnx.ml
TreeEnsembleRegressor producing the margins (one target per output group), followed by the
objective's transform (Sigmoid for binary:logistic, Softmax for multi:softprob).

Written with Debian's python3-onnx helper API (no onnxmltools in Debian):
    /usr/bin/python3 bench/engine/xgb_to_onnx.py MODEL.json OUT.onnx

Splits map one to one: XGBoost goes left when x < threshold, i.e. BRANCH_LT's true branch;
default_left becomes nodes_missing_value_tracks_true. Only the objectives the engine benchmark
uses are supported.
"""
import json
import math
import sys

import onnx
from onnx import TensorProto, helper


def base_margin(objective, base_score):
    if objective == "binary:logistic":
        return math.log(base_score / (1.0 - base_score))
    if objective in ("reg:squarederror", "multi:softprob"):
        return base_score
    raise SystemExit(f"xgb_to_onnx: objective {objective} not supported")


def convert(model):
    learner = model["learner"]
    objective = learner["objective"]["name"]
    params = learner["learner_model_param"]
    num_features = int(params["num_feature"])
    groups = max(1, int(params["num_class"]))
    booster = learner["gradient_booster"]
    if booster["name"] != "gbtree":
        raise SystemExit("xgb_to_onnx: only gbtree models")
    gbtree = booster["model"]
    margin = base_margin(objective, float(params["base_score"]))

    attrs = {k: [] for k in (
        "nodes_treeids", "nodes_nodeids", "nodes_featureids", "nodes_values", "nodes_modes",
        "nodes_truenodeids", "nodes_falsenodeids", "nodes_missing_value_tracks_true",
        "target_treeids", "target_nodeids", "target_ids", "target_weights")}
    for tree_id, (tree, group) in enumerate(zip(gbtree["trees"], gbtree["tree_info"])):
        if any(t != 0 for t in tree.get("split_type", [])):
            raise SystemExit("xgb_to_onnx: categorical splits are not supported")
        for node, (left, right) in enumerate(zip(tree["left_children"],
                                                 tree["right_children"])):
            attrs["nodes_treeids"].append(tree_id)
            attrs["nodes_nodeids"].append(node)
            if left == -1:
                attrs["nodes_featureids"].append(0)
                attrs["nodes_values"].append(0.0)
                attrs["nodes_modes"].append("LEAF")
                attrs["nodes_truenodeids"].append(0)
                attrs["nodes_falsenodeids"].append(0)
                attrs["nodes_missing_value_tracks_true"].append(0)
                attrs["target_treeids"].append(tree_id)
                attrs["target_nodeids"].append(node)
                attrs["target_ids"].append(group)
                attrs["target_weights"].append(tree["split_conditions"][node])
            else:
                attrs["nodes_featureids"].append(tree["split_indices"][node])
                attrs["nodes_values"].append(tree["split_conditions"][node])
                attrs["nodes_modes"].append("BRANCH_LT")
                attrs["nodes_truenodeids"].append(left)
                attrs["nodes_falsenodeids"].append(right)
                attrs["nodes_missing_value_tracks_true"].append(
                    int(tree["default_left"][node]))
    ensemble = helper.make_node(
        "TreeEnsembleRegressor", ["input"], ["margin"], domain="ai.onnx.ml",
        n_targets=groups, aggregate_function="SUM", post_transform="NONE",
        base_values=[margin] * groups, **attrs)
    nodes = [ensemble]
    if objective == "binary:logistic":
        nodes.append(helper.make_node("Sigmoid", ["margin"], ["value"]))
    elif objective == "multi:softprob":
        nodes.append(helper.make_node("Softmax", ["margin"], ["value"], axis=1))
    else:
        nodes.append(helper.make_node("Identity", ["margin"], ["value"]))
    graph = helper.make_graph(
        nodes, "xgboost",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, num_features])],
        [helper.make_tensor_value_info("value", TensorProto.FLOAT, [None, groups])])
    onnx_model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 1)])
    onnx_model.ir_version = 8
    onnx.checker.check_model(onnx_model)
    return onnx_model


def main():
    if len(sys.argv) != 3:
        raise SystemExit("usage: xgb_to_onnx.py MODEL.json OUT.onnx")
    with open(sys.argv[1]) as f:
        model = json.load(f)
    onnx.save(convert(model), sys.argv[2])


if __name__ == "__main__":
    main()
