// SPDX-License-Identifier: Apache-2.0
// Bench wrapper: a deliberately broken AXI4-Lite slave, to prove the protocol monitor.
`timescale 1ns / 1ps
`default_nettype none

// tb_axil_faulty
//
// tb_spw_host_if (spw_host_if with its behavioural memories) with the core
// side tied off (idle, counters 0), and one protocol fault, chosen by FAULT,
// injected between its AXI4-Lite slave port and the top-level port that
// cocotb drives (verif/blocks/test_axil_monitor.py):
//
//   0  none: the slave as it is
//   1  BVALID dropped after one cycle while BREADY is low (the slave itself
//      keeps waiting)
//   2  RDATA inverted from the second cycle RVALID waits for RREADY
//   3  an extra B without a write: BVALID (OKAY) raised after the first R
//      handshake, held until BREADY
//   4  RVALID held for one cycle after every R handshake (a duplicate R)
//   5  BRESP inverted from the second cycle BVALID waits for BREADY
//   6  ARREADY hidden: the slave takes each AR but the master never sees
//      ARREADY, so R comes before its AR was accepted
//   7  BVALID is X for one cycle after the first R handshake (four-state
//      simulators only: Verilator makes it a constant)
//   8  every B swallowed: the slave's BVALID never reaches the master (the
//      wrapper takes the B itself), so a write never gets its response
//   9  B held back: the wrapper takes each B from the slave and shows it to
//      the master only once the slave's RVALID is high, so B and R can
//      complete in one cycle (legal AXI, against this project's one-at-a-time
//      rule)

module tb_axil_faulty #(
    // the fault, see above
    parameter FAULT = 0,
    // MAC array rows (AMem word = ROWS x 4 bit)
    parameter ROWS = 8,
    // MAC array columns (WMem word = COLS x 4 bit)
    parameter COLS = 8,
    // AMem depth in words
    parameter ADEPTH = 4096,
    // WMem depth in words
    parameter WDEPTH = 4096,
    // IMem depth in 64-bit words
    parameter IDEPTH = 4096,
    // accumulator width in bits
    parameter ACC_W = 20
) (
    input  wire        clk_i,
    input  wire        rst_ni,

    /* AXI4-Lite slave interface, faults applied */
    input  wire [19:0] s_axil_awaddr,
    input  wire [2:0]  s_axil_awprot,
    input  wire        s_axil_awvalid,
    output wire        s_axil_awready,
    input  wire [31:0] s_axil_wdata,
    input  wire [3:0]  s_axil_wstrb,
    input  wire        s_axil_wvalid,
    output wire        s_axil_wready,
    output wire [1:0]  s_axil_bresp,
    output wire        s_axil_bvalid,
    input  wire        s_axil_bready,
    input  wire [19:0] s_axil_araddr,
    input  wire [2:0]  s_axil_arprot,
    input  wire        s_axil_arvalid,
    output wire        s_axil_arready,
    output wire [31:0] s_axil_rdata,
    output wire [1:0]  s_axil_rresp,
    output wire        s_axil_rvalid,
    input  wire        s_axil_rready
);

    // the slave's side of the faults
    wire        i_awready, i_wready, i_arready;
    wire        i_bvalid, i_rvalid;
    wire [1:0]  i_bresp, i_rresp;
    wire [31:0] i_rdata;
    wire        i_bready;

    wire        start, irq;
    wire [15:0] start_pc;
    wire [31:0] mem_reqs;
    wire        mem_req_busy, mem_req_oob;

    tb_spw_host_if #(
        .ROWS(ROWS), .COLS(COLS), .ADEPTH(ADEPTH), .WDEPTH(WDEPTH), .IDEPTH(IDEPTH), .ACC_W(ACC_W)
    ) u_tb (
        .clk_i(clk_i), .rst_ni(rst_ni),
        .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(s_axil_awprot),
        .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(i_awready),
        .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
        .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(i_wready),
        .s_axil_bresp(i_bresp), .s_axil_bvalid(i_bvalid), .s_axil_bready(i_bready),
        .s_axil_araddr(s_axil_araddr), .s_axil_arprot(s_axil_arprot),
        .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(i_arready),
        .s_axil_rdata(i_rdata), .s_axil_rresp(i_rresp), .s_axil_rvalid(i_rvalid),
        .s_axil_rready(s_axil_rready),
        .start_o(start), .start_pc_o(start_pc), .busy_i(1'b0), .done_i(1'b0),
        .err_code_i(4'd0), .err_pc_i(16'd0),
        .perf_cycles_i(32'd0), .perf_mac_busy_i(32'd0), .perf_skipped_i(32'd0), .perf_stall_i(32'd0),
        .irq_o(irq),
        .mem_reqs_o(mem_reqs), .mem_req_busy_o(mem_req_busy), .mem_req_oob_o(mem_req_oob)
    );
    wire unused = ^{start, irq, start_pc, mem_reqs, mem_req_busy, mem_req_oob};

    // what happened at the last edge
    reg b_wait_q;     // slave BVALID high, BREADY low
    reg r_wait_q;     // slave RVALID high, RREADY low
    reg r_hs_q;       // a slave R handshake
    reg r_done_q;     // sticky: an R handshake has happened
    reg extra_b_q;    // FAULT 3: the injected B, until the master takes it
    reg x_q;          // FAULT 7: the X cycle
    reg held_b_q;     // FAULT 9: a B taken from the slave, not yet shown
    reg show_b_q;     // FAULT 9: that B shown to the master, until taken
    reg [1:0] held_resp_q;

    // FAULT 9 shows its held B from the cycle the slave's RVALID is high
    // until the master takes it
    wire b9 = show_b_q | (held_b_q & i_rvalid);
    wire i_r_hs = i_rvalid & s_axil_rready;
    wire first_r_hs = i_r_hs & ~r_done_q;

    always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
            b_wait_q <= 1'b0;
            r_wait_q <= 1'b0;
            r_hs_q <= 1'b0;
            r_done_q <= 1'b0;
            extra_b_q <= 1'b0;
            x_q <= 1'b0;
            held_b_q <= 1'b0;
            show_b_q <= 1'b0;
            held_resp_q <= 2'b00;
        end else begin
            b_wait_q <= i_bvalid & ~s_axil_bready;
            r_wait_q <= i_rvalid & ~s_axil_rready;
            r_hs_q <= i_r_hs;
            r_done_q <= r_done_q | i_r_hs;
            if (extra_b_q && s_axil_bready)
                extra_b_q <= 1'b0;
            else if (first_r_hs)
                extra_b_q <= 1'b1;
            x_q <= first_r_hs;
            // FAULT 9: take the slave's B at once, show it while the slave's
            // RVALID is high, drop it once the master took it
            if (b9 && s_axil_bready) begin
                held_b_q <= 1'b0;
                show_b_q <= 1'b0;
            end else if (held_b_q && i_rvalid) begin
                show_b_q <= 1'b1;
            end else if (!held_b_q && i_bvalid) begin
                held_b_q <= 1'b1;
                held_resp_q <= i_bresp;
            end
        end
    end

    wire f1 = (FAULT == 1), f2 = (FAULT == 2), f3 = (FAULT == 3), f4 = (FAULT == 4), f5 = (FAULT == 5);
    wire f6 = (FAULT == 6), f7 = (FAULT == 7), f8 = (FAULT == 8), f9 = (FAULT == 9);

    assign s_axil_awready = i_awready;
    assign s_axil_wready = i_wready;
    assign s_axil_arready = f6 ? 1'b0 : i_arready;
    assign s_axil_bvalid = f1 ? i_bvalid & ~b_wait_q :
                           f3 ? i_bvalid | extra_b_q :
                           f7 ? (x_q ? 1'bx : i_bvalid) :
                           f8 ? 1'b0 :
                           f9 ? b9 : i_bvalid;
    assign s_axil_bresp = f3 && extra_b_q ? 2'b00 :
                          f5 && b_wait_q ? ~i_bresp :
                          f9 ? held_resp_q : i_bresp;
    assign i_bready = f3 ? s_axil_bready & ~extra_b_q :
                      f8 ? 1'b1 :
                      f9 ? ~held_b_q : s_axil_bready;
    assign s_axil_rvalid = f4 ? i_rvalid | r_hs_q : i_rvalid;
    assign s_axil_rdata = f2 && r_wait_q ? ~i_rdata : i_rdata;
    assign s_axil_rresp = i_rresp;

endmodule

`default_nettype wire
