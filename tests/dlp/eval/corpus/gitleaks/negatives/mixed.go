lowEntropy := AKCpXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
wrongStart := "AkCpof5l6cw6x2piw0dmd0v82p4r7l878szfyok65tpkbitrgqvwkwos65i2h11qt4xoqf2wn"
wrongLength := "AkCpch0gk306tmzvb4vrdo82ac52knxm2xbsxsej01xdjmgy9km963i9r0shfyw"
lowEntropy := cmVmdXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX
wrongStart := "cmVMdseqmdm0mi9lump6x7nvx3g8uunpf8lp8yw4f42qtj8z5p6czwwe7xe2f9wh"
wrongLength := "cmVmd35pm4do7y4metb2ss980xyzbt0cx85nr8ofea3ggxlflx269r"
	atlassianApiToken := "getPagesInConfluenceSpace,searchConfluenceUsingCql"
	azureAdClientSecret := "~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~"
	easypostApiToken := "...6wqX6fNUXA/rYqRvfQ+EZAKGqQRiRyqAFRQshGPWOIAwNWGORfKHSBnVNFtVmWYoW6PH23lkqbbDWep95C/3VmWq/edti6..."
	easypostTestApiToken := "...6wqX6fNUXA/rYqRvfQ+EZTKGqQRiRyqAFRQshGPWOIAwNWGORfKHSBnVNFtVmWYoW6PH23lkqbbDWep95C/3VmWq/edti6..."
	if err := sysctl.SetSysctl(sysctlBridgeCallIPTables); err != nil {
	githubFineGrainedPat := "github_pat_xxxxxxxxxxxxxxxxxxxxxx_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	gitlabPatRoutable := "glpat-xxxxxxxx-xxxxxxxxxxxxxxxxxx.xxxxxxxxx"
	vaultServiceToken := "hvs.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
