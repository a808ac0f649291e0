"""The policy pack: `pulumi preview --policy-pack policy`.

Constructing PolicyPack starts the analyzer server and blocks, so the policies
live in policy/policies.py and only this file builds the pack.
"""

import sys
from pathlib import Path

# The pack shares policy-document logic with the components one folder up.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pulumi_policy import PolicyPack

from policy.policies import POLICIES

PolicyPack(name="encrypted-dynamodb", policies=POLICIES)
