"""The pulumi-aws resource type tokens this project creates, models and checks.

Data only: the policy pack matches resources by them and the sandbox's engine models
each one, without either importing pulumi_aws. Tokens as the pulumi-aws schema names them.
"""

PROVIDER = "pulumi:providers:aws"
KMS_KEY = "aws:kms/key:Key"
KMS_KEY_POLICY = "aws:kms/keyPolicy:KeyPolicy"
KMS_REPLICA_KEY = "aws:kms/replicaKey:ReplicaKey"
KMS_ALIAS = "aws:kms/alias:Alias"
KMS_GRANT = "aws:kms/grant:Grant"
DYNAMODB_TABLE = "aws:dynamodb/table:Table"
DYNAMODB_RESOURCE_POLICY = "aws:dynamodb/resourcePolicy:ResourcePolicy"
IAM_ROLE = "aws:iam/role:Role"
IAM_USER = "aws:iam/user:User"
IAM_ACCESS_KEY = "aws:iam/accessKey:AccessKey"
IAM_POLICY = "aws:iam/policy:Policy"
IAM_ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
IAM_USER_POLICY = "aws:iam/userPolicy:UserPolicy"
IAM_GROUP_POLICY = "aws:iam/groupPolicy:GroupPolicy"
IAM_ROLE_POLICY_ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
IAM_USER_POLICY_ATTACHMENT = "aws:iam/userPolicyAttachment:UserPolicyAttachment"
# Key-loss alarms (issue 20): an EventBridge rule and its target per key region, an SNS topic and its policy.
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SNS_TOPIC = "aws:sns/topic:Topic"
SNS_TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy"
# Global tables in PROVISIONED mode (issue 20): auto scaling per region, and replicas added after it.
AUTOSCALING_TARGET = "aws:appautoscaling/target:Target"
AUTOSCALING_POLICY = "aws:appautoscaling/policy:Policy"
DYNAMODB_TABLE_REPLICA = "aws:dynamodb/tableReplica:TableReplica"

# Resources whose `policy` input is an identity policy document.
IDENTITY_POLICY_TYPES = (IAM_POLICY, IAM_ROLE_POLICY, IAM_USER_POLICY, IAM_GROUP_POLICY)
