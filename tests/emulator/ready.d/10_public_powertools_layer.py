"""Stands in for the public Powertools layer and its public SSM parameters.

In AWS the Powertools team publishes the layer `AWSLambdaPowertoolsPythonV3-<runtime>-<arch>`
in account 017000801446 and its ARN under `/aws/service/powertools/python/<arch>/<runtime>/<version>`;
CloudFormation resolves our `AWS::SSM::Parameter::Value<String>` default from that parameter.
The emulator has neither, refuses `/aws/` names through its API and fetches no layer from AWS.
So: one layer version per runtime and architecture is published in that account (in the
emulator's own account store: an empty `python/` folder, since nothing is invoked here), and a
read of such a parameter, whatever Powertools version it names, answers that layer version's ARN.
"""

import io
import os
import re
import zipfile

from localstack.aws.connect import connect_to
from moto.ssm import models

POWERTOOLS_ACCOUNT = "017000801446"
REGION = os.environ.get("EMULATOR_REGION", "eu-west-1")
POWERTOOLS = re.compile(r"^/aws/service/powertools/python/(?P<arch>arm64|x86_64)/python3\.(?P<minor>\d+)/[0-9.]+$")
PUBLISHED = {}

content = io.BytesIO()
with zipfile.ZipFile(content, "w") as archive:
    archive.writestr("python/.keep", "")
layers = connect_to(
    aws_access_key_id=POWERTOOLS_ACCOUNT, aws_secret_access_key="test", region_name=REGION
).lambda_
for minor in (12, 13, 14):
    for arch in ("arm64", "x86_64"):
        version = layers.publish_layer_version(
            LayerName=f"AWSLambdaPowertoolsPythonV3-python3{minor}-{arch}",
            Content={"ZipFile": content.getvalue()},
            CompatibleRuntimes=[f"python3.{minor}"],
            CompatibleArchitectures=[arch],
        )
        PUBLISHED[(arch, str(minor))] = version["LayerVersionArn"]

_original_check = models.ParameterDict._check_loading_status


def _check_loading_status(self, key):
    _original_check(self, key)
    found = POWERTOOLS.match(str(key or ""))
    if found and self.region_name == REGION and not dict.get(self, key):
        dict.setdefault(self, key, []).append(
            models.Parameter(
                account_id=self.account_id,
                name=key,
                value=PUBLISHED[(found["arch"], found["minor"])],
                parameter_type="String",
                description=None,
                allowed_pattern=None,
                keyid=None,
                last_modified_date=0,
                version=1,
                data_type="text",
            )
        )


models.ParameterDict._check_loading_status = _check_loading_status
