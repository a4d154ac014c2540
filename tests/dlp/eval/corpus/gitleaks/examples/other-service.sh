curl --cacert ca.crt -u elastic:P@ssw0rd$1 https://localhost:9200

sh-5.0$ curl -k -X POST https://infinispan:11222/rest/v2/caches/default/hello \
  -H 'Content-type: text/plain' \
  -d 'world' \
  -u developer:yqDVtkqPECriaLRi

curl -u ":d2LkV78zLx!t" https://localhost:9200

curl -u "d2LkV78zLx!t:" https://localhost:9200

curl -sw '%{http_code}' -X POST --user  'johns:h0pk1ns~21s' $GItHUB_API_URL/$GIT_COMMIT --data

curl --user roger23@gmail.com:pQ9wTxu4Fg https://www.dropbox.com/cli_link?host_id=abcdefg -v

curl -s --user 'api:d2LkV78zLx!t' \
    https://api.mailgun.net/v2/sandbox91d3515882ecfaa1c65be642.mailgun.org/messages

curl -s -v --user "j.smith:dB2yF6@qL9vZm1P#4J" "https://api.contoso.org/user/me"

curl -X POST --user "{acd3c08b-74e8-4f44-a2d0-80694le24f46}":"{ZqL5kVrX1n8tA2}" --header "Accept: application/json" --data "{\"text\":\"Hello, world\",\"source\":\"en\",\"target\":\"es\"}" https://gateway.watsonplatform.net/language-translator/api

curl --user kevin:'pRf7vG2h1L8nQkW9' -iX PATCH -H "Content-Type: application/json" -d

$ curl https://api.dropbox.com/oauth2/token \
  --user c28wlsosanujy2z:qgsnai0xokrw4j1 --data grant_type=authorization_code

export NOTION_API_TOKEN="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"

export BUNDLE_ENTERPRISE__CONTRIBSYS__COM = cafebabe:deadbeef

export BUNDLE_GEMS__CONTRIBSYS__COM="cafebabe:deadbeef"

export BUNDLE_GEMS__CONTRIBSYS__COM = "cafebabe:deadbeef"

export SUMOLOGIC_ACCESSID="suDbJw97o9WVo0"

export SUMOLOGIC_ACCESSKEY="3HSa1hQfz6BYzlxf7Yb1WKG3Hyovm56LMFChV2y9LgkRipsXCujcLb5ej3oQUJlx"
