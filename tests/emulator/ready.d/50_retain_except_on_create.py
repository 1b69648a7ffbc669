"""Stands in for CloudFormation's `DeletionPolicy: RetainExceptOnCreate`.

In AWS a resource with this policy is kept when its stack is deleted (or the resource leaves
the template), and deleted only when the stack's own first create fails and rolls back.
LocalStack 2026.3.0's v2 engine keeps only `Retain` ("TODO: other deletion policies") and
deletes these resources: a retained log group or key with a fixed name would then never
collide on a recreate, which is the very thing the deploy test's delete-and-recreate step must
catch. So the policy is read as `Retain`. (Unlike AWS, a failed first create then leaves them
behind too; the test fails on a failed create anyway.)
"""

from localstack.services.cloudformation.engine.v2 import change_set_model_preproc as preproc

_original_init = preproc.PreprocResource.__init__


def _init(self, *args, **kwargs):
    _original_init(self, *args, **kwargs)
    if self.deletion_policy == "RetainExceptOnCreate":
        self.deletion_policy = "Retain"


preproc.PreprocResource.__init__ = _init
