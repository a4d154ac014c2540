export SLACK_WEBHOOK_URL="https://hooks.slack.com/services/nqxbm9g4la5ob6cej8ompkbtfe5zzod016rekk70auf0wk"

export SLACK_WEBHOOK_URL="https://hooks.slack.com/services/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"
