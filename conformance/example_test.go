package conformance_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"

	"github.com/wskit/websocket/conformance"
)

func ExampleSelect() {
	cases, err := conformance.Select(conformance.Cases(), "6.*,7.1.1", "6.22,6.23")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(len(cases), "cases from", cases[0].ID, "to", cases[len(cases)-1].ID)
	// Output: 105 cases from 6.1.1 to 7.1.1
}

// Testing a server: every case but the slow groups, four at a time, with
// a text report on standard output.
func ExampleRunServer() {
	cases, err := conformance.Select(conformance.Cases(), "", "9,12,13")
	if err != nil {
		log.Fatal(err)
	}
	rep, err := conformance.RunServer(context.Background(), "ws://127.0.0.1:9001/", cases, &conformance.Options{
		Agent:    "my server",
		Parallel: 4,
		Payloads: "../shared/conformance/payloads", // for groups 12 and 13
	})
	if err != nil {
		log.Fatal(err)
	}
	rep.WriteText(os.Stdout)
}

// Testing a client: serve the cases, point the client at the address, and
// wait for it to call /updateReports.
func ExampleRunClient() {
	ln, err := net.Listen("tcp", "127.0.0.1:9001")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("run the client against ws://" + ln.Addr().String())
	rep, err := conformance.RunClient(context.Background(), ln, conformance.Cases(), &conformance.Options{
		Payloads: "../shared/conformance/payloads",
	})
	if err != nil {
		log.Fatal(err)
	}
	f, err := os.Create("report.html")
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	rep.WriteHTML(f)
}

// The client tester is an http.Handler, to mount beside other handlers;
// Done delivers each agent's report.
func ExampleClientTester() {
	ct, err := conformance.NewClientTester(conformance.Cases(), &conformance.Options{
		Payloads: "../shared/conformance/payloads",
	})
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		for rep := range ct.Done() {
			fmt.Println(rep.Agent, rep.Summary())
		}
	}()
	log.Fatal(http.ListenAndServe("127.0.0.1:9001", ct))
}
