"""The AWS Lambda entry point, `handler.handler`: the app behind Mangum
(app/aws/lambda_adapter.py)."""

from app import app
from app.aws.lambda_adapter import LambdaAdapter

handler = LambdaAdapter(app)
