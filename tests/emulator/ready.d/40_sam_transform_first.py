"""Stands in for CloudFormation's order of transforms.

Real CloudFormation runs the `AWS::Serverless-2016-10-31` transform on the whole template
first, so a plain resource may reference a logical id that SAM generates (`<Function>Aliaslive`,
the rule SAM makes for an EventBridge event). LocalStack's v2 engine resolves the template's
intrinsics in a pass for local `Fn::Transform` macros before the SAM transform, and fails there
with "Unresolved resource dependencies". The pass is skipped for templates that hold no
`Fn::Transform` at all (ours), where it has nothing to do.
"""

import json

from localstack.services.cloudformation.engine.v2 import change_set_model_transform as transform

_original = transform.ChangeSetModelTransform._execute_local_transforms


def _execute_local_transforms(self):
    templates = [t for t in (self._before_template, self._after_template) if isinstance(t, dict)]
    if any('"Fn::Transform"' in json.dumps(t, default=str) for t in templates):
        _original(self)


transform.ChangeSetModelTransform._execute_local_transforms = _execute_local_transforms
