export AWS_API_KEY="A3T0ABCDEFGHIJKLMNO"

4. login into ecr

```bash
aws_region=eu-central-1
aws_account_id=891511536143
aws_profile=serverless-bert

aws ecr get-login-password \
    --region $aws_region \
    --profile $aws_profile \
| docker login \
    --username AWS \
    --password-stdin $aws_account_id.dkr.ecr.$aws_region.amazonaws.com
```

export AWS_S3_BUCKET="http%2F%2Fsome-bucket.s3.amazonaws.com"

export AWS_S3_BUCKET=".s3.amazonaws.com"

export PGPASSWORD="$gdcapi_db_password"

export GOOGLE_CLOUD_STORAGE_BUCKET="c.storage.googleapis.com/some_object"

export GOOGLE_CLOUD_STORAGE_BUCKET="some-bucket.example.com.storage.googleapis.com/some_object"

curl https://kolkrabbi.heroku.com/apps/98fc74a8-ff56-4a21-85f6-7a1fcac895c9/github/push \

export SHOPIFY_DOMAIN="handsomestranger.myshopify.com"

/d:sonar.host.url=$(SONAR_HOST) /d:sonar.login=$(SONAR_LOGIN) \
/d:sonar.coverage.exclusions="**Tests*.cs"
