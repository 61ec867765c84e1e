"""Runs AWS's own SAM translator (aws-sam-translator, the library behind the
AWS::Serverless-2016-10-31 transform) on template.yaml, as CloudFormation does at deploy time.

Usage: python3 sam-transform.py TEMPLATE '{"Param": "value", ...}'  -> transformed JSON on stdout.

`sam package` replaces local CodeUri/DefinitionUri paths with S3 locations before the
transform runs; this does the same with placeholder S3 URIs. CloudFormation passes the
stack's parameter values to the transform, so they are passed here too (SAM resolves Refs to
parameters with them, e.g. in a function's Tracing).
"""
import json
import os
import sys

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

from cfnlint.decode import cfn_yaml  # noqa: E402  (reads the short intrinsic tags)
from samtranslator.translator.transform import transform  # noqa: E402


class NoIamLookup:
    """The translator's bundled map of AWS managed policies is used; no IAM call is made."""

    def load(self):
        return {}


def main() -> None:
    template = json.loads(json.dumps(cfn_yaml.load(sys.argv[1])))
    parameters = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    for logical_id, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            props["CodeUri"] = f"s3://rekey-artifacts/{logical_id}.zip"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(props.get("DefinitionUri"), str):
            props["DefinitionUri"] = f"s3://rekey-artifacts/{logical_id}.asl.json"
    print(json.dumps(transform(template, parameters, NoIamLookup()), default=str))


if __name__ == "__main__":
    main()
