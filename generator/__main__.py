from generator.cli.main import main

main(prog_name="optin")
