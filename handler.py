"""The AWS Lambda entry point, `handler.handler`: the app behind Mangum (app/lambda_adapter.py)."""

from app import app
from app.lambda_adapter import LambdaAdapter

handler = LambdaAdapter(app)
