var githubToken = "gho_3efopsho3t7qf1fu7asnkkqnpkju01i22djw"
var githubToken = "ghs_zxpt68u6hqeoaqt337fcy5cqifbu8ylvp10s"
