export AWS_AMAZON_BEDROCK_API_KEY_LONG_LIVED="ABSKQmVkcm9ja0FQSUtleS1EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLE="

export AWS_AMAZON_BEDROCK_API_KEY_LONG_LIVED="AXSKQmVkcm9ja0FQSUtleS1EXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXAMPLEEXM="

export AZURE_AD_CLIENT_SECRET="client_secret=bP88Q~xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

curl -i -u 'test:test'

   curl -sL --user "$1:$2" "$3" > "$4"

curl -u <user:password> https://test.com/endpoint

curl --user neo4j:[PASSWORD] http://[IP]:7474/db/data/

curl -u "myusername" http://localhost:15130/api/check_user/

curl -u username:token

curl -u "${_username}:${_password}"

curl -u "${username}":"${password}"

curl -k -X POST -I -u "SRVC_JENKINS:${APPID}"

curl -u ":" https://localhost:9200

curl -sw '%{http_code}' -X POST --user '$USERNAME:$PASSWORD' $GItHUB_API_URL/$GIT_COMMIT --data

curl --user "xxx:yyy"

           curl -sL --user "$GITHUB_USERNAME:$GITHUB_PASSWORD" "$GITHUB_URL" > "$TESTS_PATH"

curl --silent --fail {{- if and $.Values.username $.Values.password }} --user "{{ $.Values.username }}:{{ $.Values.password }}"

curl -XGET -i -u "${{ env.ELK_ID }}:${{ build.env.ELK_PASS }}"

curl -XGET -i -u "${{needs.vault.outputs.account_id}}:${{needs.vault.outputs.account_password}}"

curl -XGET -i -u "${{ steps.vault.outputs.account_id }}:${{ steps.vault.outputs.account_password }}"

curl -X POST --user "$(cat ./login.txt):$(cat ./password.txt)"

curl http://127.0.0.1:5000/file --user user:pass --digest        # digest auth

   curl -X GET --insecure --user "username:password" \

curl --silent --insecure --user ${f5user}:${f5pass} \

curl --insecure --ssl-reqd "smtps://smtp.gmail.com" --mail-from "src@gmail.com" --mail-rcpt "dst@gmail.com" --user "src@gmail.com" --upload-file out.txt

curl https://example.com/micropub -d h=entry -d "content=Hello World" -H "Authorization: Bearer XXXXXXXXXXXX"

curl -X POST https://accounts.spotify.com/api/token -d grant_type=client_credentials --header "Authorization: Basic ..."

curl \
  -H "Authorization: Bearer <Openverse API token>" \
  "https://api.openverse.org/v1/audio/?q=test"

curl -v -v -v -X POST https://domain/api/v1/authentication/sso/login-url/ \
  -H 'Content-Type: application/json' \
  -H "Authorization: Token **********" \
  -d '{"username": "test", "next": "/luna/"}'

curl -XPOST http://localhost:8080/api/token -H "Authorization: basic {base64(email:password[\n])}" => token

curl -X GET \
     -H "apikey: $API_KEY" \
     -H "Accept: $FORMAT" \
"$API_URL/rest/v1/stats_derniere_labellisation"

$ curl -X POST "http://localhost:8000/v1/chat/completions" \
    -H "Content-Type: application/json" \
    -H "Authorization: Bearer $API_KEY" \
    -d '{
        "model": "chatglm3-6b-32k",
        "messages": [{"role": "system", "content": "You are a helpful assistant."}, {"role": "user", "content": "Hello!"}]
    }'

curl -X GET -H "Content-Type: application/json" -H "Authorization: Bearer $(gcloud auth print-access-token)" https://workflowexecutions.googleapis.com/v1/projects/244283331594/locations/us-central1/workflows/sample-workflow/executions/43c925aa-514a-44c1-a0a4-a9f8f26fd2cb/callbacks/1705791f-d446-4e92-a6d0-a13622422e80_31864a51-8c13-4b03-ad4d-945cdc8d0631

# get build time secret for authentication
#RUN --mount=type=secret,id=jfrog_secret \
#    JFROG_SECRET = $(cat /run/secrets/jfrog_secret) && \

export GITHUB_APP_TOKEN="ghu_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"

oc login --token=sha256~_xxxxxx_xxxxxxxxxxxxxxxxxxxxxx-xxxxxxxxxx-X \
    --server=https://api.${zone}.appuio.cloud:6443

export SLACK_BOT_TOKEN="xoxb-xxxxxxxxx-xxxxxxxxxx-xxxxxxxxxxxx"

export SLACK_BOT_TOKEN="xoxb-xxx"

export SLACK_USER_TOKEN="https://docs.google.com/document/d/1W7KCxOxP-1Fy5EyF2lbJGE2WuKmu5v0suYqoHas1jRM"

export SLACK_CONFIG_REFRESH_TOKEN="xoxe-1-xxx"

export SLACK_LEGACY_WORKSPACE_TOKEN="https://github.com/xoxa-nyc/xoxa-nyc.github.io/blob/master/README.md"

export SUMOLOGIC_ACCESSID=XXXXXXXXXXXXXX
