// SPDX-License-Identifier: Apache-2.0
// AXI4-Lite slave protocol checker: assumes the master's rules, asserts the slave's.
`default_nettype none

// faxil-style property set for one AXI4-Lite slave port (AMBA AXI and ACE
// spec, IHI 0022, sections A3.1-A3.3 restricted to AXI4-Lite).
//
// Master side (assumed): no VALID during reset or in the first cycle after
// it; a VALID is held, with its payload stable, until its READY.
// Slave side (asserted):
//   * BVALID and RVALID are low during reset and in the cycle after it;
//   * BVALID / RVALID stay high until BREADY / RREADY, and BRESP / RRESP /
//     RDATA are stable while they wait;
//   * a B needs an AW and a W accepted in an earlier cycle and not yet
//     answered, an R an accepted AR: counted by the outstanding counters;
//   * at most MAX_WR accepted AWs, MAX_WR accepted Ws and MAX_RD accepted
//     ARs are outstanding at once.
// The outstanding counters count handshakes of earlier cycles only, so a B
// in the same cycle as its AW or W handshake fails the check, as the spec
// requires (BVALID only after both handshakes).
module axil_slave_checker #(
    parameter AW = 20,
    parameter DW = 32,
    // outstanding limits the slave documents
    parameter MAX_WR = 1,
    parameter MAX_RD = 1
) (
    input wire          clk_i,
    input wire          rst_ni,
    input wire [AW-1:0] awaddr,
    input wire [2:0]    awprot,
    input wire          awvalid,
    input wire          awready,
    input wire [DW-1:0] wdata,
    input wire [DW/8-1:0] wstrb,
    input wire          wvalid,
    input wire          wready,
    input wire [1:0]    bresp,
    input wire          bvalid,
    input wire          bready,
    input wire [AW-1:0] araddr,
    input wire [2:0]    arprot,
    input wire          arvalid,
    input wire          arready,
    input wire [DW-1:0] rdata,
    input wire [1:0]    rresp,
    input wire          rvalid,
    input wire          rready,
    // outstanding counts, for the harness' covers and extra properties
    output reg  [3:0]   aw_out,
    output reg  [3:0]   w_out,
    output reg  [3:0]   ar_out
);
    // f_past_valid: $past is meaningful; f_rst_q: reset was low last cycle
    reg f_past_valid = 1'b0;
    reg f_rst_q = 1'b1;
    always @(posedge clk_i) begin
        f_past_valid <= 1'b1;
        f_rst_q <= !rst_ni;
    end

    // the solver starts every trace in reset
    initial assume (!rst_ni);

    wire aw_hs = awvalid && awready;
    wire w_hs  = wvalid && wready;
    wire ar_hs = arvalid && arready;
    wire b_hs  = bvalid && bready;
    wire r_hs  = rvalid && rready;

    initial begin
        aw_out = 4'd0;
        w_out = 4'd0;
        ar_out = 4'd0;
    end
    always @(posedge clk_i) begin
        if (!rst_ni) begin
            aw_out <= 4'd0;
            w_out <= 4'd0;
            ar_out <= 4'd0;
        end else begin
            aw_out <= aw_out + aw_hs - b_hs;
            w_out <= w_out + w_hs - b_hs;
            ar_out <= ar_out + ar_hs - r_hs;
        end
    end

    // ---------------------------------------------------------------
    // Master (assumed)
    // ---------------------------------------------------------------
    // A3.1.2: VALIDs low in reset; they may rise only after it ends
    always @* begin
        if (!rst_ni || f_rst_q) begin
            assume (!awvalid);
            assume (!wvalid);
            assume (!arvalid);
        end
    end
    // A3.2.1: once VALID is high it stays, with its payload, until READY
    always @(posedge clk_i) begin
        if (f_past_valid && rst_ni && $past(rst_ni)) begin
            if ($past(awvalid && !awready)) begin
                assume (awvalid);
                assume (awaddr == $past(awaddr));
                assume (awprot == $past(awprot));
            end
            if ($past(wvalid && !wready)) begin
                assume (wvalid);
                assume (wdata == $past(wdata));
                assume (wstrb == $past(wstrb));
            end
            if ($past(arvalid && !arready)) begin
                assume (arvalid);
                assume (araddr == $past(araddr));
                assume (arprot == $past(arprot));
            end
        end
    end

    // ---------------------------------------------------------------
    // Slave (asserted)
    // ---------------------------------------------------------------
    always @* begin
        if (!rst_ni || f_rst_q) begin
            a_reset_b: assert (!bvalid);
            a_reset_r: assert (!rvalid);
        end
    end
    always @(posedge clk_i) begin
        if (f_past_valid && rst_ni && $past(rst_ni)) begin
            if ($past(bvalid && !bready)) begin
                a_b_held: assert (bvalid);
                a_b_stable: assert (bresp == $past(bresp));
            end
            if ($past(rvalid && !rready)) begin
                a_r_held: assert (rvalid);
                a_r_stable: assert (rresp == $past(rresp) && rdata == $past(rdata));
            end
        end
    end
    always @* begin
        if (rst_ni) begin
            if (bvalid) begin
                a_b_after_aw: assert (aw_out != 4'd0);
                a_b_after_w: assert (w_out != 4'd0);
            end
            if (rvalid)
                a_r_after_ar: assert (ar_out != 4'd0);
            a_aw_limit: assert (aw_out <= MAX_WR);
            a_w_limit: assert (w_out <= MAX_WR);
            a_ar_limit: assert (ar_out <= MAX_RD);
        end
    end

    // ---------------------------------------------------------------
    // Covers: each assertion's antecedent happens
    // ---------------------------------------------------------------
    always @(posedge clk_i) begin
        if (f_past_valid && rst_ni && $past(rst_ni)) begin
            c_b_backpressure: cover ($past(bvalid && !bready) && b_hs);
            c_r_backpressure: cover ($past(rvalid && !rready) && r_hs);
            c_aw_wait: cover ($past(awvalid && !awready) && aw_hs);
            c_w_before_aw: cover ($past(w_hs) && !$past(aw_out) && !$past(aw_hs) && aw_hs);
            c_wr_and_rd_out: cover (aw_out == MAX_WR && w_out == MAX_WR && ar_out == MAX_RD);
            c_b_okay: cover (b_hs && bresp == 2'b00);
            c_b_slverr: cover (b_hs && bresp == 2'b10);
            c_b_decerr: cover (b_hs && bresp == 2'b11);
            c_r_okay: cover (r_hs && rresp == 2'b00);
            c_r_slverr: cover (r_hs && rresp == 2'b10);
            c_r_decerr: cover (r_hs && rresp == 2'b11);
        end
        // a reset may cut a transaction short: the counters restart too
        if (f_past_valid)
            c_reset_mid_write: cover ($past(rst_ni && aw_out != 4'd0) && !rst_ni);
    end
endmodule

`default_nettype wire
